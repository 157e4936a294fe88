/// An `http://` or `https://` URL split for a client: where to connect and what to ask for.
public struct HttpURL: Sendable, Equatable {
    public let secure: Bool
    /// Without IPv6 brackets, ready for a connect call.
    public let host: String
    public let port: Int
    /// Origin-form request target: path and query, never empty.
    public let target: String
    /// The Host header value (brackets and a non-default port kept).
    public let authority: String

    /// Nil for other schemes, user info, an empty or malformed host, or a port outside 1-65535.
    public init?(_ text: String) {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") {
            secure = false
            rest = text.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            secure = true
            rest = text.dropFirst(8)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        if let hash = path.firstIndex(of: "#") { path = path[..<hash] }
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(where: { $0 == " " || $0.isNewline }) else { return nil }
        let defaultPort = secure ? 443 : 80
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { return nil }
        var port = defaultPort
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portText), (1...65535).contains(p) else {
                return nil
            }
            port = p
        }
        self.host = String(hostPart)
        self.port = port
        self.authority = String(authority)
        self.target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
    }

    /// Scheme and authority, for logs and for resolving absolute paths.
    public var origin: String { (secure ? "https://" : "http://") + authority }

    public var string: String { origin + target }
}
