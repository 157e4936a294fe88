/// `rtmp://host[:port]/app[/more]/stream[?query]` (or rtmps://) as a client needs it.
struct RtmpURL {
    let secure: Bool
    let host: String
    let port: Int
    let app: String
    let stream: String   // with the query, as servers expect it in play/publish

    init?(_ text: String) {
        secure = text.hasPrefix("rtmps://")
        guard secure || text.hasPrefix("rtmp://") else { return nil }
        let rest = text.dropFirst(secure ? "rtmps://".count : "rtmp://".count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]
        if let colon = authority.lastIndex(of: ":"), let p = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            port = p
        } else {
            host = String(authority)
            port = secure ? 443 : 1935
        }
        let (pathPart, query) = path.firstIndex(of: "?").map { (path[..<$0], String(path[$0...])) } ?? (path, "")
        var parts = pathPart.split(separator: "/").map(String.init)
        guard !host.isEmpty, (1...65535).contains(port), parts.count >= 2, let last = parts.popLast() else { return nil }
        app = parts.joined(separator: "/")
        stream = last + query
    }

    var tcUrl: String { "\(secure ? "rtmps" : "rtmp")://\(host):\(port)/\(app)" }
}
