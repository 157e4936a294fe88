/// A parsed HTTP/1.1 request (RFC 9112).
public struct HttpRequest {
    public var method: String
    public var target: String
    public var path: String          // percent-decoded, without the query
    public var query: String
    public var version: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    public func hasToken(_ name: String, _ token: String) -> Bool {
        guard let v = header(name) else { return false }
        let wanted = token.lowercased()
        return v.split(separator: ",").contains { $0.trimmingSpaces().lowercased() == wanted }
    }

    public var keepAlive: Bool {
        if hasToken("Connection", "close") { return false }
        if version == "HTTP/1.0" { return hasToken("Connection", "keep-alive") }
        return true
    }

    public var isWebSocketUpgrade: Bool { hasToken("Connection", "upgrade") && header("Upgrade")?.lowercased() == "websocket" }

    public func queryParameter(_ name: String) -> String? {
        for part in query.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count >= 1, kv[0] == name { return kv.count == 2 ? kv[1].percentDecoded ?? String(kv[1]) : "" }
        }
        return nil
    }
}

import EssentialsExtras
