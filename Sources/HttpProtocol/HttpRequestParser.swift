#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras

/// Incremental HTTP/1.1 request parser with hard limits; errors carry the status to answer with.
public struct HttpRequestParser {
    public struct Failure: Error {
        public let status: Int
        public let reason: String
    }

    public static let maxHeaderBytes = 16 * 1024
    public static let maxHeaders = 100
    public let maxBodyBytes: Int
    private var buffer: [UInt8] = []

    public init(maxBodyBytes: Int = 1 << 20) { self.maxBodyBytes = maxBodyBytes }

    public var buffered: Int { buffer.count }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    /// The next complete request, nil if more bytes are needed.
    public mutating func next() throws(Failure) -> HttpRequest? {
        guard let headerEnd = findHeaderEnd() else {
            if buffer.count > Self.maxHeaderBytes { throw Failure(status: 431, reason: "request header over \(Self.maxHeaderBytes) bytes") }
            return nil
        }
        guard headerEnd <= Self.maxHeaderBytes else { throw Failure(status: 431, reason: "request header too large") }
        guard let text = String(bytes: buffer[0..<headerEnd], encoding: .utf8) else {
            throw Failure(status: 400, reason: "request header is not UTF-8")
        }
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3 else { throw Failure(status: 400, reason: "bad request line") }
        let method = String(requestLine[0])
        let target = String(requestLine[1])
        let version = String(requestLine[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw Failure(status: 505, reason: "unsupported \(version)") }
        guard method.allSatisfy({ $0.isLetter && $0.isUppercase }), !method.isEmpty, method.count < 16 else {
            throw Failure(status: 400, reason: "bad method")
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(status: 400, reason: "bad header line") }
            let name = line[..<colon].trimmingSpaces()
            guard !name.isEmpty, !name.contains(" ") else { throw Failure(status: 400, reason: "bad header name") }
            headers.append((name, line[line.index(after: colon)...].trimmingSpaces()))
            if headers.count > Self.maxHeaders { throw Failure(status: 431, reason: "too many headers") }
        }
        var request = HttpRequest(method: method, target: target, path: "", query: "", version: version, headers: headers, body: [])
        if request.header("Transfer-Encoding") != nil {
            throw Failure(status: 501, reason: "chunked request bodies are not supported")
        }
        var bodyLength = 0
        if let cl = request.header("Content-Length") {
            guard let n = Int(cl), n >= 0 else { throw Failure(status: 400, reason: "bad Content-Length") }
            guard n <= maxBodyBytes else { throw Failure(status: 413, reason: "body over \(maxBodyBytes) bytes") }
            bodyLength = n
        }
        let total = headerEnd + 4 + bodyLength
        guard buffer.count >= total else { return nil }
        request.body = Array(buffer[(headerEnd + 4)..<total])
        buffer.removeFirst(total)
        guard target.hasPrefix("/") else { throw Failure(status: 400, reason: "only origin-form targets are served") }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let decoded = parts[0].percentDecoded else { throw Failure(status: 400, reason: "bad percent-encoding") }
        request.path = decoded
        request.query = parts.count > 1 ? String(parts[1]) : ""
        return request
    }

    private func findHeaderEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        var i = 0
        let limit = min(buffer.count - 3, Self.maxHeaderBytes + 1)
        while i < limit {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }
}
