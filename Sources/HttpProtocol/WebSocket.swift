import COpenSSL
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras

/// WebSocket (RFC 6455) pieces the server needs: the upgrade answer, server frames, client frame parsing.
public enum WebSocket {
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    public static func acceptKey(_ clientKey: String) -> String {
        let input = Array((clientKey.trimmingSpaces() + guid).utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        _ = SHA1(input, input.count, &digest)
        return Data(digest).base64EncodedString()
    }

    /// Length of the header of a server frame at the start of `data` (2, 4 or 10 bytes; unmasked).
    public static func headerLength(_ data: UnsafeRawBufferPointer) -> Int {
        guard data.count >= 2 else { return 0 }
        switch data[1] & 0x7F {
        case 126: return min(4, data.count)
        case 127: return min(10, data.count)
        default: return 2
        }
    }

    /// Header of an unmasked server frame (RFC 6455 5.2).
    public static func frameHeader(opcode: UInt8, length: Int) -> [UInt8] {
        var h: [UInt8] = [0x80 | opcode]
        if length < 126 {
            h.append(UInt8(length))
        } else if length <= 0xFFFF {
            h += [126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            h.append(127)
            for i in (0..<8).reversed() { h.append(UInt8((UInt64(length) >> (8 * UInt64(i))) & 0xFF)) }
        }
        return h
    }

    public static func frame(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] { frameHeader(opcode: opcode, length: payload.count) + payload }

    public struct ClientFrame {
        public let opcode: UInt8
        public let payload: [UInt8]
    }

    public struct ProtocolError: Error {
        public let reason: String
        public init(reason: String) { self.reason = reason }
    }

    /// Parses client frames from `buffer` (consuming them). Clients must mask (RFC 6455 5.3); control
    /// frames are at most 125 bytes; data frames are capped at `maxPayload`.
    public static func parse(_ buffer: inout [UInt8], maxPayload: Int = 64 * 1024) throws(ProtocolError) -> [ClientFrame] {
        var frames: [ClientFrame] = []
        var i = 0
        while buffer.count - i >= 2 {
            let b0 = buffer[i], b1 = buffer[i + 1]
            let opcode = b0 & 0x0F
            guard b1 & 0x80 != 0 else { throw ProtocolError(reason: "unmasked client frame") }
            var len = Int(b1 & 0x7F)
            var p = i + 2
            if len == 126 {
                guard buffer.count - p >= 2 else { break }
                len = Int(buffer[p]) << 8 | Int(buffer[p + 1])
                p += 2
            } else if len == 127 {
                guard buffer.count - p >= 8 else { break }
                var v: UInt64 = 0
                for k in 0..<8 { v = v << 8 | UInt64(buffer[p + k]) }
                guard v <= UInt64(maxPayload) else { throw ProtocolError(reason: "frame of \(v) bytes is over the limit") }
                len = Int(v)
                p += 8
            }
            guard len <= maxPayload else { throw ProtocolError(reason: "frame of \(len) bytes is over the limit") }
            if opcode >= 8 && len > 125 { throw ProtocolError(reason: "control frame over 125 bytes") }
            guard buffer.count - p >= 4 + len else { break }
            let mask = Array(buffer[p..<(p + 4)])
            p += 4
            var payload = Array(buffer[p..<(p + len)])
            for k in 0..<payload.count { payload[k] ^= mask[k & 3] }
            frames.append(ClientFrame(opcode: opcode, payload: payload))
            i = p + len
        }
        if i > 0 { buffer.removeFirst(i) }
        return frames
    }
}
