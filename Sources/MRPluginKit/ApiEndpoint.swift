import Foundation
import PluginABI

/// A management endpoint in ZLMediaKit's style (`/index/api/<name>`, GET or POST with query, form or JSON
/// parameters, a JSON reply `{"code":0,...}` with HTTP 200), so plugins add their own endpoints the same way
/// the core adds its own. Until the core's API secret exists, these endpoints answer loopback peers only.
public struct ApiRequest {
    public let params: [String: String]
    public let peer: String

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

    /// [control] Registers `/index/api/<name>`; `handler` runs on the request's loop and replies once, on that loop.
    @discardableResult
    public static func register(_ host: PluginHost, name: String, _ handler: @escaping Handler) -> Bool {
        let box = Unmanaged.passRetained(EndpointBox(host: host, handler: handler)).toOpaque()
        let rc = "/index/api/\(name)".withCString { path in
            host.table.http_route_add(host.host, nil, path, { user, request, ex in
                guard let user, let request, let ex else { return Int32(MR_ERR_NOT_FOUND) }
                let box = Unmanaged<EndpointBox>.fromOpaque(user).takeUnretainedValue()
                return box.serve(request.pointee, ex)
            }, box)
        }
        if rc != MR_OK {
            Unmanaged<EndpointBox>.fromOpaque(box).release()
            host.log(MR_LOG_ERROR, "cannot add API endpoint \(name): \(host.lastError)")
            return false
        }
        return true
    }

    /// Parameters of the query, then of a form or JSON body (the body wins).
    public static func parameters(query: String, body: [UInt8], contentType: String) -> [String: String]? {
        var out = formFields(query)
        guard !body.isEmpty else { return out }
        if contentType.lowercased().contains("json") || body.first == UInt8(ascii: "{") {
            guard body.count <= 1 << 20,
                  let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
            for (k, v) in object {
                switch v {
                case let s as String: out[k] = s
                case let n as NSNumber: out[k] = n.stringValue
                default: out[k] = (try? JSONSerialization.data(withJSONObject: v)).map { String(decoding: $0, as: UTF8.self) }
                }
            }
        } else {
            for (k, v) in formFields(String(decoding: body, as: UTF8.self)) { out[k] = v }
        }
        return out
    }

    static func formFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            guard let k = kv.first.map(decode), !k.isEmpty else { continue }
            out[k] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    static func isLoopback(_ peer: String) -> Bool {
        peer.hasPrefix("127.") || peer.hasPrefix("[::1]") || peer.hasPrefix("::1") || peer.hasPrefix("::ffff:127.")
            || peer.hasPrefix("[::ffff:127.")
    }
}

private final class ReplyTask {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

private final class EndpointBox {
    let host: PluginHost
    let handler: ApiEndpoint.Handler
    init(host: PluginHost, handler: @escaping ApiEndpoint.Handler) {
        self.host = host
        self.handler = handler
    }

    func serve(_ r: mr_http_request, _ ex: OpaquePointer) -> Int32 {
        let peer = r.peer.map { String(cString: $0) } ?? ""
        guard ApiEndpoint.isLoopback(peer) else {
            return reply(ex, .auth, ["msg": "this endpoint answers loopback clients only"])
        }
        let query = r.query.map { String(cString: $0) } ?? ""
        let body = r.body.map { Array(UnsafeBufferPointer(start: $0, count: r.body_len)) } ?? []
        var contentType = ""
        if let headers = r.headers {
            for i in 0..<r.header_count where headers[i].name.map({ String(cString: $0).lowercased() }) == "content-type" {
                contentType = headers[i].value.map { String(cString: $0) } ?? ""
            }
        }
        guard let params = ApiEndpoint.parameters(query: query, body: body, contentType: contentType) else {
            return reply(ex, .invalidArgs, ["msg": "the body is not a JSON object"])
        }
        let answered = LockedValue(false)
        let loop = r.loop
        handler(ApiRequest(params: params, peer: peer)) { [self] code, fields in
            guard answered.withLock({ done in defer { done = true }; return !done }) else { return }
            // Handlers may answer from another loop (a stream's); the exchange is answered on its own.
            if host.currentLoop == Int(loop) { _ = reply(ex, code, fields); return }
            let task = Unmanaged.passRetained(ReplyTask { _ = self.reply(ex, code, fields) }).toOpaque()
            let rc = host.table.run_on_loop(host.host, loop, { user in
                guard let user else { return }
                Unmanaged<ReplyTask>.fromOpaque(user).takeRetainedValue().body()
            }, task)
            if rc != MR_OK { Unmanaged<ReplyTask>.fromOpaque(task).release() }
        }
        return Int32(MR_OK)
    }

    private func reply(_ ex: OpaquePointer, _ code: ApiCode, _ fields: [String: Any]) -> Int32 {
        var object = fields
        object["code"] = code.rawValue
        if object["msg"] == nil { object["msg"] = code == .success ? "success" : "failed" }
        return host.respond(ex, status: 200, contentType: "application/json", body: Array(CommandJSON.text(object).utf8))
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
