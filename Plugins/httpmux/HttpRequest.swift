/// A parsed HTTP/1.1 request (RFC 9112).
struct HttpRequest {
    var method: String
    var target: String
    var path: String          // percent-decoded, without the query
    var query: String
    var version: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    func hasToken(_ name: String, _ token: String) -> Bool {
        guard let v = header(name) else { return false }
        return v.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(token) == .orderedSame }
    }

    var keepAlive: Bool {
        if hasToken("Connection", "close") { return false }
        if version == "HTTP/1.0" { return hasToken("Connection", "keep-alive") }
        return true
    }

    var isWebSocketUpgrade: Bool { hasToken("Connection", "upgrade") && header("Upgrade")?.lowercased() == "websocket" }

    func queryParameter(_ name: String) -> String? {
        for part in query.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count >= 1, kv[0] == name { return kv.count == 2 ? String(kv[1]).removingPercentEncoding ?? String(kv[1]) : "" }
        }
        return nil
    }
}

import Foundation
