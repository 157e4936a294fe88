/// RTSP tunnelled over HTTP (Apple's QuickTime scheme, which ffmpeg's `-rtsp_transport http`, VLC and many
/// players speak): a GET connection carries the server's replies and RTP, a POST connection with the same
/// `x-sessioncookie` carries the client's requests in base64. This type reads the HTTP head of either.
public struct RtspTunnelRequest: Sendable, Equatable {
    public enum Method: Sendable, Equatable { case get, post }
    public let method: Method
    public let cookie: String
    /// The bytes after the head (the start of a POST body).
    public let rest: [UInt8]

    /// Whether `bytes` (the first of a connection) start like an HTTP GET or POST rather than RTSP.
    public static func looksLikeHTTP(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.starts(with: Array("GET ".utf8)) || bytes.starts(with: Array("POST ".utf8))
    }

    /// Nil while the head is incomplete; throws when it is not a tunnel request or too long.
    public static func parse(_ bytes: [UInt8], maxHeadBytes: Int = 8192) throws(RtspParseError) -> RtspTunnelRequest? {
        guard let end = headEnd(bytes) else {
            if bytes.count > maxHeadBytes { throw RtspParseError("HTTP tunnel head longer than \(maxHeadBytes) bytes") }
            return nil
        }
        guard end.head <= maxHeadBytes else { throw RtspParseError("HTTP tunnel head longer than \(maxHeadBytes) bytes") }
        let lines = String(decoding: bytes[..<end.head], as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let first = lines.first else { throw RtspParseError("empty HTTP request") }
        let method: Method
        if first.hasPrefix("GET ") { method = .get } else if first.hasPrefix("POST ") { method = .post } else {
            throw RtspParseError("not an HTTP GET or POST")
        }
        var cookie: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if String(line[..<colon].trimmingSpaces()).caseInsensitiveEquals("x-sessioncookie") {
                cookie = String(line[line.index(after: colon)...].trimmingSpaces())
            }
        }
        guard let cookie, (1...128).contains(cookie.utf8.count) else { throw RtspParseError("HTTP request without x-sessioncookie") }
        return RtspTunnelRequest(method: method, cookie: cookie, rest: Array(bytes[end.body...]))
    }

    private static func headEnd(_ b: [UInt8]) -> (head: Int, body: Int)? {
        var i = 0
        while i + 1 < b.count {
            if b[i] == 10, b[i + 1] == 10 { return (i, i + 2) }
            if i + 3 < b.count, b[i] == 13, b[i + 1] == 10, b[i + 2] == 13, b[i + 3] == 10 { return (i, i + 4) }
            i += 1
        }
        return nil
    }

    /// The answer to the GET: from then on the connection carries plain RTSP replies and interleaved data.
    public static let getResponse = Array("""
        HTTP/1.0 200 OK\r
        Server: MediaRouter\r
        Connection: close\r
        Cache-Control: no-store\r
        Pragma: no-cache\r
        Content-Type: application/x-rtsp-tunnelled\r
        \r

        """.utf8)
}

/// Decodes the POST body of an RTSP tunnel: base64 in which each request is encoded on its own, so padding
/// appears mid-stream; whitespace is skipped. Each complete 4-character group decodes by itself.
public struct RtspTunnelDecoder: Sendable {
    private var group: [UInt8] = []

    public init() { group.reserveCapacity(4) }

    /// The decoded bytes of `input`, or nil if it holds a character base64 does not have.
    public mutating func decode(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4 + 3)
        for c in input {
            if c == 13 || c == 10 || c == 32 || c == 9 { continue }
            group.append(c)
            guard group.count == 4 else { continue }
            defer { group.removeAll(keepingCapacity: true) }
            guard let a = Base64.value(group[0]), let b = Base64.value(group[1]) else { return nil }
            out.append(a << 2 | b >> 4)
            if group[2] == 61 { continue }
            guard let c2 = Base64.value(group[2]) else { return nil }
            out.append((b & 0x0F) << 4 | c2 >> 2)
            if group[3] == 61 { continue }
            guard let d = Base64.value(group[3]) else { return nil }
            out.append((c2 & 0x03) << 6 | d)
        }
        return out
    }
}
