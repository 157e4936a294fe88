import Foundation
import TestSupport
import XCTest
@testable import RtspProtocol

/// A comparable form of `RtspInput` for asserting on parser output.
enum Flat: Equatable, CustomStringConvertible {
    case message(kind: RtspMessage.Kind, headers: [String], body: [UInt8])
    case frame(channel: UInt8, payload: [UInt8])

    init(_ input: RtspInput) {
        switch input {
        case .message(let m): self = .message(kind: m.kind, headers: m.headers.map { "\($0.name): \($0.value)" }, body: m.body)
        case .interleaved(let c, let p): self = .frame(channel: c, payload: Array(p))
        }
    }

    var description: String {
        switch self {
        case .message(let k, let h, let b): return "message(\(k), \(h.count) headers, \(b.count) body bytes)"
        case .frame(let c, let p): return "frame(\(c), \(p.count) bytes)"
        }
    }
}

/// Feeds `bytes` in chunks of `chunk` (all at once when nil) and drains the parser after each append.
func parseAll(_ bytes: [UInt8], chunk: Int? = nil, parser: RtspStreamParser = RtspStreamParser()) throws -> [Flat] {
    var p = parser
    var out: [Flat] = []
    let step = max(1, chunk ?? bytes.count)
    var i = 0
    repeat {
        let end = min(bytes.count, i + step)
        bytes[i..<end].withUnsafeBytes { p.append($0) }
        while let input = try p.next() { out.append(Flat(input)) }
        i = end
    } while i < bytes.count
    return out
}

/// The messages of a captured text vector.
func messages(_ text: String) throws -> [RtspMessage] {
    var p = RtspStreamParser()
    p.append(Array(text.utf8))
    var out: [RtspMessage] = []
    while let input = try p.next() {
        guard case .message(let m) = input else { XCTFail("unexpected frame in a text vector"); continue }
        out.append(m)
    }
    XCTAssertEqual(p.bufferedByteCount, 0)
    return out
}

func decodeBase64(_ s: String) -> [UInt8] {
    [UInt8](Data(base64Encoded: s, options: .ignoreUnknownCharacters) ?? Data())
}

func hex(_ s: String) -> [UInt8] { hexBytes(s) }

