/// A response as a client sees it: status line, headers and the de-chunked body.
public struct HttpResponseMessage: Sendable {
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first header of that name (names are case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

/// Incremental HTTP/1.1 response parser for the client side (RFC 9112): Content-Length, chunked and
/// close-delimited bodies, interim 1xx responses skipped. Everything is bounded: the head by
/// `maxHeaderBytes`, the body by the caller's limit, so a hostile server cannot make it hold more.
public struct HttpResponseParser {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static let maxHeaderBytes = 16 * 1024
    public static let maxHeaders = 100
    /// A chunk-size line with its extensions; real servers send a few bytes.
    static let maxChunkLine = 1024

    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailer(bytes: Int)
        case untilClose
    }

    public let maxBodyBytes: Int
    /// HEAD responses announce a length but carry no body.
    public var expectsNoBody = false
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already parsed; compacted in bulk rather than per call, so large bodies stay linear.
    private var position = 0
    private var state = State.head
    private var response: HttpResponseMessage?
    private var body: [UInt8] = []

    public init(maxBodyBytes: Int) { self.maxBodyBytes = max(0, maxBodyBytes) }

    /// Body bytes received so far of the response being parsed (for progress and limits).
    public var bodyBytes: Int { body.count }

    /// The head of the response whose body is being read (its `body` empty): a client of an endless body
    /// (HTTP-FLV, HTTP-TS) acts on the status without waiting for an end that never comes.
    public var head: HttpResponseMessage? { response }

    /// Hands over the body bytes parsed so far and forgets them. A client streaming an endless body takes
    /// them after every `next()`, so `maxBodyBytes` bounds what waits between two takes, not the whole body.
    public mutating func takeBody() -> [UInt8] {
        let out = body
        body = []
        return out
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }

    /// The next complete response, nil if more bytes are needed.
    public mutating func next() throws(Failure) -> HttpResponseMessage? {
        defer { compact() }
        while true {
            switch state {
            case .head:
                guard try parseHead() else { return nil }
            case .fixed(let remaining):
                let n = min(remaining, available)
                take(n)
                guard remaining == n else { state = .fixed(remaining: remaining - n); return nil }
                return complete()
            case .chunkSize:
                guard let line = try line(limit: Self.maxChunkLine, what: "chunk-size line") else { return nil }
                let size = try Self.chunkSize(line)
                guard size <= maxBodyBytes - body.count else { throw Failure(reason: "body over \(maxBodyBytes) bytes") }
                state = size == 0 ? .trailer(bytes: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, available)
                take(n)
                guard remaining == n else { state = .chunkData(remaining: remaining - n); return nil }
                state = .chunkEnd
            case .chunkEnd:
                guard available >= 2 else { return nil }
                guard buffer[position] == 13, buffer[position + 1] == 10 else { throw Failure(reason: "chunk not followed by CRLF") }
                position += 2
                state = .chunkSize
            case .trailer(let bytes):
                guard let line = try line(limit: Self.maxHeaderBytes - bytes, what: "trailer") else { return nil }
                if line.isEmpty { return complete() }
                state = .trailer(bytes: bytes + line.count + 2)
            case .untilClose:
                guard available <= maxBodyBytes - body.count else { throw Failure(reason: "body over \(maxBodyBytes) bytes") }
                take(available)
                return nil
            }
        }
    }

    /// The peer closed: ends a close-delimited body; a response cut short anywhere else is an error.
    /// Nil when the close came between responses.
    public mutating func finish() throws(Failure) -> HttpResponseMessage? {
        if let r = try next() { return r }
        switch state {
        case .untilClose:
            return complete()
        case .head where available == 0:
            return nil
        case .head:
            throw Failure(reason: "connection closed inside the response head")
        default:
            throw Failure(reason: "connection closed after \(body.count) body bytes, before the end of the body")
        }
    }

    // MARK: head

    /// Parses one head when complete; true if the state moved on (a 1xx is skipped and leaves it at `.head`).
    private mutating func parseHead() throws(Failure) -> Bool {
        guard let end = headEnd() else {
            if available > Self.maxHeaderBytes { throw Failure(reason: "response head over \(Self.maxHeaderBytes) bytes") }
            return false
        }
        let headBytes = buffer[position..<end]
        position = end + 4
        var lines = headBytes.split(separator: 10, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 13 ? line.dropLast() : line
        }
        guard !lines.isEmpty else { throw Failure(reason: "empty response head") }
        let statusLine = String(decoding: lines.removeFirst(), as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[0].count == 8 else {
            throw Failure(reason: "bad status line '\(statusLine.prefix(80))'")
        }
        guard parts[1].count == 3, parts[1].allSatisfy(\.isASCII), let status = Int(parts[1]), (100...599).contains(status) else {
            throw Failure(reason: "bad status code in '\(statusLine.prefix(80))'")
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: 58) else { throw Failure(reason: "header line without a colon") }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { throw Failure(reason: "bad header name '\(name.prefix(40))'") }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces
            headers.append((name, value))
            if headers.count > Self.maxHeaders { throw Failure(reason: "more than \(Self.maxHeaders) headers") }
        }
        let message = HttpResponseMessage(version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "",
                                          headers: headers, body: [])
        if status < 200 && status != 101 { return true }   // interim: the real response follows
        response = message
        body = []
        if expectsNoBody || status == 204 || status == 304 || status == 101 {
            state = .fixed(remaining: 0)
            return true
        }
        if let te = message.header("Transfer-Encoding") {
            // Only chunked as the final coding can be framed; anything else is read to the close (RFC 9112 6.3).
            state = te.lowercased().split(separator: ",").last?.trimmingSpaces == "chunked" ? .chunkSize : .untilClose
            return true
        }
        if let cl = message.header("Content-Length") {
            let values = Set(cl.split(separator: ",").map { $0.trimmingSpaces })
            guard values.count == 1, let v = values.first, !v.isEmpty, v.count <= 18, v.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = Int(v) else { throw Failure(reason: "bad Content-Length '\(cl.prefix(40))'") }
            guard n <= maxBodyBytes else { throw Failure(reason: "body of \(n) bytes is over the limit of \(maxBodyBytes)") }
            body.reserveCapacity(n)
            state = .fixed(remaining: n)
            return true
        }
        state = .untilClose
        return true
    }

    private func headEnd() -> Int? {
        let limit = min(buffer.count, position + Self.maxHeaderBytes + 4)
        var i = position
        while i + 3 < limit {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    // MARK: body

    private var available: Int { buffer.count - position }

    private mutating func take(_ n: Int) {
        guard n > 0 else { return }
        body.append(contentsOf: buffer[position..<(position + n)])
        position += n
    }

    /// A CRLF-terminated line without its CRLF, nil until complete; longer than `limit` is an error.
    private mutating func line(limit: Int, what: String) throws(Failure) -> ArraySlice<UInt8>? {
        var i = position
        while i + 1 < buffer.count {
            if i - position > limit { break }
            if buffer[i] == 13, buffer[i + 1] == 10 {
                let line = buffer[position..<i]
                position = i + 2
                return line
            }
            i += 1
        }
        if available > limit + 2 { throw Failure(reason: "\(what) over \(limit) bytes") }
        return nil
    }

    /// Hex size before any `;extension`.
    private static func chunkSize(_ line: ArraySlice<UInt8>) throws(Failure) -> Int {
        let digits = line.prefix { $0 != 59 }   // ';'
        let text = String(decoding: digits, as: UTF8.self).trimmingSpaces
        guard !text.isEmpty, text.count <= 15, let n = Int(text, radix: 16), n >= 0 else {
            throw Failure(reason: "bad chunk size '\(String(decoding: line.prefix(40), as: UTF8.self))'")
        }
        return n
    }

    private mutating func complete() -> HttpResponseMessage? {
        guard var r = response else { return nil }
        r.body = body
        body = []
        response = nil
        state = .head
        return r
    }

    private mutating func compact() {
        if position == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.count <= 64 * 1024)
            position = 0
        } else if position > 64 * 1024 {
            buffer.removeFirst(position)
            position = 0
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (header whitespace, RFC 9110 5.6.3), without Foundation.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
