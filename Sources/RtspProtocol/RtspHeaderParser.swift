/// Turns one complete header block (start line through the blank line) into a message without its body.
struct RtspHeaderParser {
    let maxBodyBytes: Int
    let maxHeaderCount: Int

    /// Returns the message and the body length announced by Content-Length.
    func parse(_ block: ArraySlice<UInt8>) throws(RtspParseError) -> (RtspMessage, Int) {
        var lines = Self.lines(block)
        guard !lines.isEmpty else { throw RtspParseError("empty message") }
        let (kind, version) = try Self.startLine(String(decoding: lines.removeFirst(), as: UTF8.self))
        var headers: [(name: String, value: String)] = []
        for raw in lines {
            if raw.isEmpty { break }
            let line = String(decoding: raw, as: UTF8.self)
            if let f = raw.first, f == 32 || f == 9 {
                // Obsolete line folding (RFC 2326 4.2 allows LWS continuation): join with one space.
                guard !headers.isEmpty else { throw RtspParseError("continuation line before any header") }
                headers[headers.count - 1].value += " " + line.trimmingSpaces()
                continue
            }
            guard let colon = line.utf8.firstIndex(of: 58) else { throw RtspParseError("header line without a colon") }
            let name = line[..<colon].trimmingSpaces()
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { throw RtspParseError("bad header name") }
            headers.append((String(name), String(line[line.utf8.index(after: colon)...].trimmingSpaces())))
            guard headers.count <= maxHeaderCount else { throw RtspParseError("more than \(maxHeaderCount) headers") }
        }
        let message = RtspMessage(kind: kind, version: version, headers: headers)
        return (message, try bodyLength(message))
    }

    private func bodyLength(_ message: RtspMessage) throws(RtspParseError) -> Int {
        let values = message.headerValues("Content-Length")
        guard let first = values.first else { return 0 }
        // Disagreeing lengths are a request-smuggling hazard, so refuse rather than pick one.
        guard values.allSatisfy({ $0 == first }) else { throw RtspParseError("conflicting Content-Length headers") }
        guard first.utf8.count <= 10, !first.isEmpty, first.utf8.allSatisfy({ (48...57).contains($0) }), let n = Int(first) else {
            throw RtspParseError("bad Content-Length \(first.prefix(20))")
        }
        guard n <= maxBodyBytes else { throw RtspParseError("body of \(n) bytes exceeds \(maxBodyBytes)") }
        return n
    }

    /// Lines split on LF with an optional CR before it removed, so bare-LF senders work too.
    static func lines(_ block: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = block.startIndex
        var i = start
        while i < block.endIndex {
            if block[i] == 10 {
                var end = i
                if end > start, block[end - 1] == 13 { end -= 1 }
                out.append(block[start..<end])
                start = i + 1
            }
            i += 1
        }
        if start < block.endIndex { out.append(block[start...]) }
        return out
    }

    static func startLine(_ line: String) throws(RtspParseError) -> (RtspMessage.Kind, String) {
        if line.hasPrefix("RTSP/") {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard parts.count >= 2, isVersion(parts[0]) else { throw RtspParseError("bad status line") }
            let code = parts[1]
            guard code.utf8.count == 3, code.utf8.allSatisfy({ (48...57).contains($0) }), let status = Int(code), status >= 100 else {
                throw RtspParseError("bad status code")
            }
            let reason = parts.count == 3 ? String(parts[2].trimmingSpaces()) : ""
            return (.response(status: status, reason: reason), String(parts[0]))
        }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else { throw RtspParseError("bad request line") }
        let method = parts[0], uri = parts[1], version = parts[2].trimmingSpaces()
        guard !method.isEmpty, method.utf8.count <= 32, method.utf8.allSatisfy(isTokenByte) else { throw RtspParseError("bad method") }
        guard uri.utf8.allSatisfy({ $0 > 32 && $0 != 127 }) else { throw RtspParseError("bad request URI") }
        guard isVersion(version) else { throw RtspParseError("not an RTSP request (version \(version.prefix(16)))") }
        return (.request(method: String(method).asciiUppercased(), uri: String(uri)), String(version))
    }

    /// "RTSP/" DIGIT "." DIGIT: what both RFC 2326 and RFC 7826 allow.
    static func isVersion(_ s: Substring) -> Bool {
        let u = Array(s.utf8)
        return u.count == 8 && s.hasPrefix("RTSP/") && (48...57).contains(u[5]) && u[6] == 46 && (48...57).contains(u[7])
    }
}

/// RFC 2616 token characters: visible ASCII except separators.
@inline(__always) func isTokenByte(_ c: UInt8) -> Bool {
    guard c > 32, c < 127 else { return false }
    switch c {
    case 40, 41, 60, 62, 64, 44, 59, 58, 92, 34, 47, 91, 93, 63, 61, 123, 125: return false
    default: return true
    }
}
