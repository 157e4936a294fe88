#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import Logging
import MRPluginKit
import NIOConcurrencyHelpers
import PluginABI
import RouterCore

/// The management API at `/index/api/<name>` (ZLMediaKit's envelope): served by whichever plugin serves
/// HTTP, dispatched here to a core endpoint or to the command `api.<name>` a plugin offers (that is how a
/// plugin adds endpoints: the mp4 plugin's startRecord is its command `api.startRecord`). The secret is
/// checked here, once, for all of them.
final class ApiRouter: @unchecked Sendable {
    static let prefix = "/index/api/"
    let host: PluginHost
    private let logger: Logger
    private let state: NIOLockedValueBox<(settings: ApiSettings, endpoints: [String: ApiEndpointSpec])>

    private let commandList: @Sendable () -> [(name: String, plugin: String)]

    init(host: PluginHost, settings: ApiSettings, logger: Logger, commandList: @escaping @Sendable () -> [(name: String, plugin: String)]) {
        self.host = host
        self.logger = logger
        self.commandList = commandList
        state = NIOLockedValueBox((settings, [:]))
    }

    var settings: ApiSettings { state.withLockedValue { $0.settings } }
    func apply(_ s: ApiSettings) { state.withLockedValue { $0.settings = s } }

    func add(_ e: ApiEndpointSpec) { state.withLockedValue { $0.endpoints[e.name] = e } }
    var endpoints: [ApiEndpointSpec] { state.withLockedValue { Array($0.endpoints.values) }.sorted { $0.name < $1.name } }

    /// Names of the endpoints plugins add through `api.<name>` commands.
    var pluginEndpoints: [(name: String, plugin: String)] {
        commandList().compactMap { c in c.name.hasPrefix("api.") ? (String(c.name.dropFirst(4)), c.plugin) : nil }
    }

    /// [control] Takes `/index/api/` on the HTTP plugin's port.
    func register() -> Bool {
        let rc = Self.prefix.withCString { p in
            host.table.http_route_add(host.host, nil, p, { user, request, ex in
                guard let user, let request, let ex else { return Int32(MR_ERR_NOT_FOUND) }
                Unmanaged<ApiRouter>.fromOpaque(user).takeUnretainedValue().serve(request.pointee, ex)
                return Int32(MR_OK)
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        if rc != MR_OK { logger.error("management API: cannot add its route: \(host.lastError)") }
        return rc == MR_OK
    }

    // MARK: one request (on the exchange's loop)

    private func serve(_ r: mr_http_request, _ ex: OpaquePointer) {
        let exchange = ApiExchange(router: self, ex: ex, loop: r.loop)
        host.table.http_on_close(ex, { user in
            guard let user else { return }
            Unmanaged<ApiExchange>.fromOpaque(user).takeRetainedValue().gone = true
        }, Unmanaged.passRetained(exchange).toOpaque())
        let path = r.path.map { String(cString: $0) } ?? ""
        let name = String(path.dropFirst(Self.prefix.count))
        let peer = r.peer.map { String(cString: $0) } ?? ""
        let s = settings
        guard r.body_len <= s.maxBodyBytes else {
            return exchange.reply(.invalidArgs, ["msg": "the body is larger than \(s.maxBodyBytes) bytes"])
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
            return exchange.reply(.invalidArgs, ["msg": "the body is not valid JSON or form data"])
        }
        guard authorized(params["secret"], peer: peer, settings: s) else {
            logger.warning("API \(name) from \(peer): wrong or missing secret")
            return exchange.reply(.auth, ["msg": s.secret.isEmpty ? "set [api] secret to call the API from another host" : "secret is incorrect"])
        }
        let call = ApiCall(name: name, params: params.filter { $0.key != "secret" }, peer: peer)
        if let e = state.withLockedValue({ $0.endpoints[name] }) {
            e.handler(call, { status, fields in exchange.reply(status, fields) },
                      { contentType, body in exchange.replyRaw(contentType: contentType, body: body) })
            return
        }
        let offered = host.callCommand("api.\(name)", call.params, loop: r.loop) { status, reply in
            guard status == MR_OK else {
                let message = reply["error"] as? String ?? "the plugin failed (\(status))"
                return exchange.reply(status == MR_ERR_NOT_FOUND ? .notFound : .other, ["msg": message])
            }
            var fields: [String: any Sendable] = [:]
            for (k, v) in reply where k != "code" { fields[k] = JSONValue.sendable(v) }
            let code = JSONNumber.int(reply["code"]) ?? 0
            exchange.reply(ApiStatus(rawValue: code) ?? .other, fields)
        }
        if !offered { exchange.reply(.notFound, ["msg": "unknown API endpoint: \(name)"]) }
    }

    /// ZLMediaKit's rule: the secret must match, except for loopback callers when they are exempt.
    private func authorized(_ given: String?, peer: String, settings s: ApiSettings) -> Bool {
        // Without a secret only this host may call: the API can reconfigure the server.
        if s.secret.isEmpty { return ApiEndpoint.isLoopback(peer) }
        if s.loopbackExempt, ApiEndpoint.isLoopback(peer) { return true }
        guard let given, given.utf8.count == s.secret.utf8.count else { return false }
        // Constant time: the secret is not guessed a byte at a time.
        return zip(given.utf8, s.secret.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// One exchange in flight: answered once, on its own loop, and never after its client went away.
final class ApiExchange: @unchecked Sendable {
    private let router: ApiRouter
    private let ex: OpaquePointer
    private let loop: Int32
    /// [exchange loop] Set by http_on_close: the handle is invalid from then on.
    var gone = false
    private let answered = NIOLockedValueBox(false)

    init(router: ApiRouter, ex: OpaquePointer, loop: Int32) {
        self.router = router
        self.ex = ex
        self.loop = loop
    }

    func reply(_ status: ApiStatus, _ fields: [String: any Sendable]) {
        var object: [String: Any] = fields.mapValues { $0 as Any }
        object["code"] = status.rawValue
        if object["msg"] == nil { object["msg"] = status == .success ? "success" : "failed" }
        replyRaw(contentType: "application/json; charset=utf-8", body: Array(CommandJSON.text(object).utf8))
    }

    func replyRaw(contentType: String, body: [UInt8]) {
        guard answered.withLockedValue({ done in defer { done = true }; return !done }) else { return }
        let host = router.host
        let send: @Sendable () -> Void = { [self] in
            guard !gone else { return }
            host.respond(ex, status: 200, contentType: contentType, body: body)
        }
        if host.currentLoop == Int(loop) { return send() }
        let task = Unmanaged.passRetained(LoopTask(send)).toOpaque()
        let rc = host.table.run_on_loop(host.host, loop, { user in
            guard let user else { return }
            Unmanaged<LoopTask>.fromOpaque(user).takeRetainedValue().body()
        }, task)
        if rc != MR_OK { Unmanaged<LoopTask>.fromOpaque(task).release() }
    }
}

final class LoopTask {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// JSON values coming back from a plugin's reply, made Sendable for the envelope.
enum JSONValue {
    static func sendable(_ v: Any) -> any Sendable {
        switch v {
        case let s as String: return s
        case let b as Bool: return b
        case let n as Int: return n
        case let n as Double: return n
        case let n as UInt64: return n
        case let a as [Any]: return a.map { sendable($0) }
        case let d as [String: Any]: return d.mapValues { sendable($0) }
        // A null became text, as NSNull's description did when the parsed tree came from JSONSerialization.
        case is JSONNull: return "<null>"
        default: return "\(v)"
        }
    }
}
