#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import NIOCore
import PluginABI
import RouterCore

/// A pending auth question of the core; answered once, from any thread.
struct AuthTicketRef: @unchecked Sendable { let raw: OpaquePointer }

/// The auth request, copied: the core lends its strings for the handler call only.
struct AuthCopy: Sendable {
    let publish: Bool
    let key: StreamKey
    let protocolName: String
    let peer: String
    let query: String

    init(_ r: mr_auth_request) {
        let s = { (p: UnsafePointer<CChar>?) in p.map { String(cString: $0) } ?? "" }
        publish = r.action == Int32(bitPattern: MR_AUTH_PUBLISH.rawValue)
        key = StreamKey(vhost: s(r.key.vhost), app: s(r.key.app), stream: s(r.key.stream))
        protocolName = s(r.protocol)
        peer = s(r.peer)
        query = s(r.query)
    }
}

extension HookService {
    /// An answer kept this long waits for its stream to appear; a publisher that never sends a frame drops it.
    static let publishOptionsTTL: TimeInterval = 60
    static let maxPublishOptions = 1024

    /// Becomes the core's auth handler. The service is retained for good: the core may ask until the process ends.
    func registerAuthHandler() {
        let host = m.host
        let user = Unmanaged.passRetained(self).toOpaque()
        let rc = host.table.auth_set_handler(host.host, { user, request, ticket in
            guard let user, let ticket else { return }
            let service = Unmanaged<HookService>.fromOpaque(user).takeUnretainedValue()
            guard let request else { return service.answer(AuthTicketRef(raw: ticket), true, "no request") }
            service.authorize(AuthCopy(request.pointee), AuthTicketRef(raw: ticket))
        }, user)
        if rc != MR_OK {
            Unmanaged<HookService>.fromOpaque(user).release()
            logger.error("hooks: cannot become the auth handler: \(host.lastError); on_publish and on_play are not asked")
        }
    }

    /// On the asking thread (a loop): copies, sends, returns; the answer comes from the client's loop.
    func authorize(_ q: AuthCopy, _ ticket: AuthTicketRef) {
        if !q.publish, let name = options(of: q.key)?.refuses(schema: ServedProtocols(m).schema(ofReader: q.protocolName)) {
            logger.info("play \(q.key) over \(q.protocolName) from \(q.peer) refused: the stream's on_publish answer set \(name) false")
            return answer(ticket, false, "\(name) is false for this stream")
        }
        let s = snapshot
        let hook = q.publish ? "on_publish" : "on_play"
        guard let url = s.settings.url(hook) else { return answer(ticket, true, "no \(hook) hook") }
        var r = request(hook, url, HookBodies.auth(q, ServedProtocols(m)), s, what: "\(q.publish ? "publish" : "play") \(q.key) from \(q.peer)")
        // The core gives up after [server] auth_timeout_ms with its own default; the hook's verdict, or
        // hook.default_allow, must be in before that.
        let margin = min(250, s.authTimeoutMs / 4)
        r.deadline = .now() + .milliseconds(Int64(s.authTimeoutMs - margin))
        client.send(r) { [self] v in
            // Before the answer: a publish that becomes ready at once must find its options. Every verdict
            // replaces what an earlier publish of the key left (a default allow carries no options).
            if q.publish { remember(q.key, v.allowed && !v.byDefault ? v.answer : [:]) }
            answer(ticket, v.allowed, v.byDefault ? "\(hook) hook failed: \(v.reason)" : "\(hook) hook: \(v.reason)")
        }
    }

    func answer(_ ticket: AuthTicketRef, _ allowed: Bool, _ reason: String) {
        let table = m.host.table
        reason.withCString { table.auth_answer(ticket.raw, allowed ? 1 : 0, $0) }
    }

    /// Keeps what this server does of an on_publish answer for when the stream is published (an empty one
    /// clears what an earlier answer for the key left), and says which of ZLMediaKit's per-stream options
    /// it accepted without applying.
    private func remember(_ key: StreamKey, _ answer: [String: any Sendable]) {
        let served = ServedProtocols(m)
        let o = PublishOptions(answer: answer, schemas: served.schemaNames, recordings: Array(served.recorders.keys))
        if !o.notApplied.isEmpty {
            logger.notice("on_publish for \(key): \(o.notApplied.joined(separator: ", ")) accepted but not applied (no plugin does them)")
        }
        let kept = pendingOptions.withLockedValue { table -> Bool in
            let now = Date()
            table = table.filter { now.timeIntervalSince($0.value.asked) < Self.publishOptionsTTL }
            guard !o.isEmpty else {
                table.removeValue(forKey: key)
                return true
            }
            guard table[key] != nil || table.count < Self.maxPublishOptions else { return false }
            table[key] = o
            return true
        }
        if !kept { logger.warning("on_publish for \(key): \(Self.maxPublishOptions) answers wait for their streams; its options dropped") }
    }

    /// The options in force for a live stream (a player's question; a publish still on its way does not
    /// count, as its answer may yet be replaced).
    func options(of key: StreamKey) -> PublishOptions? {
        streamOptions.withLockedValue { $0[key] }
    }

    /// On the publish event (again after a publisher returns, with its own answer): what the stream's
    /// on_publish answer asked for takes effect, replacing what an earlier publisher's asked.
    func applyPublishOptions(_ key: StreamKey) {
        let o = pendingOptions.withLockedValue { $0.removeValue(forKey: key) }
        streamOptions.withLockedValue { $0[key] = o }
        // Always set: a returning publisher without continue_push_ms goes back to [server]'s window.
        if m.core.bus.setReconnectWindow(key, ms: o?.continuePushMs), let ms = o?.continuePushMs {
            logger.info("on_publish continue_push_ms: \(key) waits \(ms) ms for its publisher to return")
        }
        guard let o else { return }
        if !o.disabled.isEmpty {
            logger.info("on_publish: \(key) is not played with \(o.disabled.sorted().map { "enable_\($0)" }.joined(separator: ", ")) false")
        }
        let recorders = ServedProtocols(m).recorders
        for format in o.record.sorted() { startRecording(key, format: format, plugin: recorders[format], segment: o.segmentSeconds[format]) }
    }

    /// An on_publish answer's enable_<format>: the plugin that declares the format records the stream.
    private func startRecording(_ key: StreamKey, format: String, plugin: String?, segment: Int?) {
        guard let plugin else { return logger.warning("on_publish asked enable_\(format) for \(key), but no running plugin records \(format)") }
        var args: [String: Any] = ["vhost": key.vhost, "app": key.app, "stream": key.stream]
        if let segment { args["segment_s"] = segment }
        let logger = self.logger
        let called = m.host.callCommand("\(plugin).record.start", args, loop: -1) { status, reply in
            if status == MR_OK {
                logger.info("on_publish enable_\(format): recording \(key)")
            } else {
                logger.warning("on_publish enable_\(format): recording \(key) failed: \(reply["error"] ?? "status \(status)")")
            }
        }
        if !called { logger.warning("on_publish asked enable_\(format) for \(key), but \(plugin) offers no \(plugin).record.start") }
    }

    /// On the unpublish event: the stream is gone, and its options with it.
    func forgetPublishOptions(_ key: StreamKey) {
        streamOptions.withLockedValue { _ = $0.removeValue(forKey: key) }
    }
}
