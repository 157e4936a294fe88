import EssentialsExtras
import PluginABI

/// A management endpoint a plugin adds to the core's API (`/index/api/<name>`, ZLMediaKit's envelope): it is
/// the command `api.<name>`, which the core's API router calls with the request's parameters after checking
/// the API secret, and whose reply it wraps in `{"code":...,"msg":...}` with HTTP 200.
public struct ApiRequest {
    public let params: [String: String]

    public func string(_ name: String) -> String? {
        guard let v = params[name], !v.isEmpty else { return nil }
        return v
    }

    public func int(_ name: String) -> Int? { string(name).flatMap { Int($0) } }
}

/// ZLMediaKit's reply codes.
public enum ApiCode: Int {
    case success = 0, other = -1, auth = -100, invalidArgs = -300, exception = -400, notFound = -500
}

public enum ApiEndpoint {
    public typealias Handler = (_ request: ApiRequest, _ reply: @escaping (_ code: ApiCode, _ fields: [String: Any]) -> Void) -> Void

    /// [control] Offers `/index/api/<name>` as the command `api.<name>`; `handler` may answer from any thread.
    @discardableResult
    public static func register(_ host: PluginHost, name: String, _ handler: @escaping Handler) -> Bool {
        host.offerCommand("api.\(name)") { args, reply in
            var params: [String: String] = [:]
            for (k, v) in args {
                switch v {
                case let s as String: params[k] = s
                default: if let n = JSONNumber.string(v) { params[k] = n }
                }
            }
            handler(ApiRequest(params: params)) { code, fields in
                var object = fields
                object["code"] = code.rawValue
                reply.answer(object)
            }
        }
    }

    /// Parameters of the query, then of a form or JSON body (the body wins).
    public static func parameters(query: String, body: [UInt8], contentType: String) -> [String: String]? {
        var out = formFields(query)
        guard !body.isEmpty else { return out }
        if contentType.lowercased().contains("json") || body.first == UInt8(ascii: "{") {
            guard body.count <= 1 << 20,
                  let object = JSONText.parse(body) as? [String: Any] else { return nil }
            for (k, v) in object {
                switch v {
                case let s as String: out[k] = s
                default: out[k] = JSONNumber.string(v) ?? JSONText.text(v, sortedKeys: false)
                }
            }
        } else {
            for (k, v) in formFields(String(decoding: body, as: UTF8.self)) { out[k] = v }
        }
        return out
    }

    public static func formFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in s.replacingScalars(["+": " "]).percentDecoded ?? String(s) }
            guard let k = kv.first.map(decode), !k.isEmpty else { continue }
            out[k] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    public static func isLoopback(_ peer: String) -> Bool {
        peer.hasPrefix("127.") || peer.hasPrefix("[::1]") || peer.hasPrefix("::1") || peer.hasPrefix("::ffff:127.")
            || peer.hasPrefix("[::ffff:127.")
    }
}

extension PluginHost {
    /// [owner loop] Answers an exchange at once with `body`.
    @discardableResult
    public func respond(_ ex: OpaquePointer, status: Int32, contentType: String, body: [UInt8]) -> Int32 {
        guard let buf = buffer(body) else { return Int32(MR_ERR_NOMEM) }
        defer { table.buf_release(buf) }
        return "Content-Type".withCString { n in contentType.withCString { v in "Cache-Control".withCString { cn in "no-cache".withCString { cv in
            var headers = [mr_http_header(name: n, value: v), mr_http_header(name: cn, value: cv)]
            return table.http_respond(ex, status, &headers, headers.count, buf)
        } } } }
    }
}
