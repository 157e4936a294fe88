/// One RTSP request or response (RFC 2326 section 6 and 7), as parsed from the wire or built to send.
public struct RtspMessage: Sendable {
    public enum Kind: Sendable, Equatable {
        /// `method` is upper case: clients disagree on case and RFC 2326 method names are case-sensitive upper case.
        case request(method: String, uri: String)
        case response(status: Int, reason: String)
    }

    public var kind: Kind
    public var version: String
    /// In wire order; names keep the sender's spelling, lookups ignore case.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(kind: Kind, version: String = "RTSP/1.0", headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.kind = kind
        self.version = version
        self.headers = headers
        self.body = body
    }

    public var isRequest: Bool { if case .request = kind { return true }; return false }
    public var method: String? { if case .request(let m, _) = kind { return m }; return nil }
    public var uri: String? { if case .request(_, let u) = kind { return u }; return nil }
    public var status: Int? { if case .response(let s, _) = kind { return s }; return nil }

    /// The CSeq header as a number; nil when missing or not a number (answering that is the server's call).
    public var cseq: Int? {
        guard let v = header("CSeq"), let n = Int(v), n >= 0 else { return nil }
        return n
    }

    public func header(_ name: String) -> String? {
        headers.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value of a header that may repeat, such as WWW-Authenticate.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Setting replaces the first header of that name (keeping its position) and drops repeats; nil removes them all.
    public subscript(header name: String) -> String? {
        get { header(name) }
        set {
            guard let newValue else { headers.removeAll { Self.sameName($0.name, name) }; return }
            if let i = headers.firstIndex(where: { Self.sameName($0.name, name) }) {
                headers[i].value = newValue
                var j = headers.count - 1
                while j > i { if Self.sameName(headers[j].name, name) { headers.remove(at: j) }; j -= 1 }
            } else {
                headers.append((name, newValue))
            }
        }
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.caseInsensitiveEquals(b)
    }

    /// Wire form. Content-Length is always recomputed from the body, and CR/LF inside header values are blanked
    /// so a value echoed from a peer (a URL, a session id) cannot inject headers.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 32 + body.count)
        switch kind {
        case .request(let method, let uri):
            Self.appendClean(method, to: &out); out.append(32)
            Self.appendClean(uri, to: &out); out.append(32)
            Self.appendClean(version, to: &out)
        case .response(let status, let reason):
            Self.appendClean(version, to: &out); out.append(32)
            out.append(contentsOf: String(status).utf8); out.append(32)
            Self.appendClean(reason, to: &out)
        }
        out.append(13); out.append(10)
        for (name, value) in headers where !Self.sameName(name, "Content-Length") {
            Self.appendClean(name, to: &out)
            out.append(contentsOf: ": ".utf8)
            Self.appendClean(value, to: &out)
            out.append(13); out.append(10)
        }
        if !body.isEmpty {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(13); out.append(10)
        out.append(contentsOf: body)
        return out
    }

    private static func appendClean(_ s: String, to out: inout [UInt8]) {
        for c in s.utf8 { out.append(c == 13 || c == 10 ? 32 : c) }
    }
}
