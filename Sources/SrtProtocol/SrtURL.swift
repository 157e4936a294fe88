/// An `srt://host:port[/app/stream]?streamid=…&passphrase=…&latency=…&pbkeylen=…` URL as pulls and pushes
/// take it (ffmpeg's and srt-live-transmit's query keys). Without a streamid, a path `/app/stream` becomes
/// the access-control form for the direction (`m=request` for a pull, `m=publish` for a push).
public struct SrtURL: Equatable, Sendable {
    public let host: String
    public let port: Int
    /// The streamid to send; nil when neither a streamid nor a path was given (the remote takes any).
    public let streamId: String?
    public let passphrase: String
    public let keyLength: Int
    /// Milliseconds; nil: the plugin's own latency. ffmpeg's `latency` is in microseconds, libsrt's URI
    /// keys (srt-live-transmit) in milliseconds: values of 10000 and more are read as microseconds.
    public let latencyMs: Int?

    public init?(_ text: String, publishing: Bool) {
        guard text.lowercased().hasPrefix("srt://") else { return nil }
        let rest = text.dropFirst(6)
        let (authorityAndPath, queryText) = rest.firstIndex(of: "?").map { (rest[..<$0], rest[rest.index(after: $0)...]) } ?? (rest, "")
        let slash = authorityAndPath.firstIndex(of: "/")
        let authority = slash.map { authorityAndPath[..<$0] } ?? authorityAndPath
        let path = slash.map { String(authorityAndPath[$0...]) } ?? ""
        guard let (h, p) = Self.hostPort(authority) else { return nil }
        var query: [String: String] = [:]
        for pair in queryText.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[String(kv[0]).lowercased()] = kv.count > 1 ? Self.percentDecoded(String(kv[1])) : ""
        }
        if let mode = query["mode"], mode != "caller" { return nil }
        host = h
        port = p
        if let sid = query["streamid"], !sid.isEmpty {
            streamId = sid
        } else if path.count > 1, let res = try? SrtStreamId.resource(path) {
            streamId = SrtStreamId(mode: publishing ? .publish : .request, app: res.app, stream: res.stream, dialect: .accessControl)
                .accessControlText
        } else {
            streamId = nil
        }
        passphrase = query["passphrase"] ?? ""
        keyLength = Int(query["pbkeylen"] ?? "") ?? 0
        latencyMs = Int(query["latency"] ?? "").map { $0 >= 10_000 ? $0 / 1000 : $0 }
        guard streamId.map({ $0.utf8.count <= SrtStreamId.maxLength }) ?? true else { return nil }
    }

    private static func hostPort(_ authority: Substring) -> (String, Int)? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let h = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p), !h.isEmpty else { return nil }
            return (h, p)
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let p = Int(parts[1]), (1...65535).contains(p) else { return nil }
        return (String(parts[0]), p)
    }

    static func percentDecoded(_ s: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
