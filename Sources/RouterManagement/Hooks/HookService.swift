import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import MRPluginKit
import NIOConcurrencyHelpers
import NIOCore
import PluginABI
import RouterCore

/// ZLMediaKit's web hooks. Auth hooks (on_publish, on_play) answer the core's auth questions; the others
/// follow bus events and timers. Off unless `[hook] enable` is set; each hook also needs its URL.
final class HookService: @unchecked Sendable {
    struct State {
        var settings = HookSettings()
        var mediaServerId = ""
        var authTimeoutMs = 5000
        var authRegistered = false
        var subscribed = false
        var keepalive: RepeatedTask?
        var keepaliveEvery = 0.0
    }

    unowned let m: ManagementService
    let client: HookClient
    let state = NIOLockedValueBox(State())
    /// Bodies that read the plugin list or config wait on the control queue: built here, never on a loop.
    let queue = DispatchQueue(label: "mediarouter.hooks")
    /// Event jobs waiting on `queue`, bounded like the requests they become.
    private let queuedJobs = NIOLockedValueBox(0)
    /// Per-stream options from on_publish answers, waiting for their stream to appear on the bus.
    let pendingOptions = NIOLockedValueBox([StreamKey: PublishOptions]())
    /// Options of the live streams that have some, until the stream ends.
    let streamOptions = NIOLockedValueBox([StreamKey: PublishOptions]())

    var logger: Logger { m.logger }

    init(_ m: ManagementService) {
        self.m = m
        client = HookClient(group: m.server.core.pollers.group, logger: m.logger)
        client.metrics = m.metrics.registry
    }

    func start(_ config: ServerConfig) {
        offerPostCommand()
        apply(config)
        let s = snapshot
        if let url = s.settings.url("on_server_started") {
            let body = ServerEndpoints.flatConfig(config).mapValues { $0 as any Sendable }
            client.send(request("on_server_started", url, body, s, what: "server start")) { _ in }
        }
    }

    func stop() {
        state.withLockedValue { $0.keepalive?.cancel(); $0.keepalive = nil }
        client.shutdown()
    }

    /// At start and after every reload (on the control queue: the config comes as an argument, since
    /// `server.config` would wait on this same queue).
    func apply(_ config: ServerConfig) {
        let (register, subscribe) = state.withLockedValue { s -> (Bool, Bool) in
            s.settings = config.hook
            s.mediaServerId = config.api.mediaServerId
            s.authTimeoutMs = config.settings.authTimeoutMs
            let wantsAuth = s.settings.url("on_publish") != nil || s.settings.url("on_play") != nil
            let register = wantsAuth && !s.authRegistered
            let subscribe = s.settings.enable && !s.subscribed
            s.authRegistered = s.authRegistered || register
            s.subscribed = s.subscribed || subscribe
            return (register, subscribe)
        }
        // Registered at most once and never taken back (the ABI has no unregister): with the hook turned
        // off later, the handler allows at once, as no handler would.
        if register { registerAuthHandler() }
        if subscribe { subscribeEvents() }
        scheduleKeepalive()
    }

    var snapshot: State { state.withLockedValue { $0 } }

    func request(_ hook: String, _ url: String, _ body: [String: any Sendable], _ s: State, what: String) -> HookRequest {
        HookRequest(hook: hook, url: url, body: body, settings: s.settings, mediaServerId: s.mediaServerId, what: what)
    }

    /// Runs `job` on the hooks queue unless `HookClient.maxInFlight` jobs already wait there.
    func enqueue(_ hook: String, _ job: @escaping @Sendable () -> Void) {
        let ok = queuedJobs.withLockedValue { n -> Bool in
            guard n < HookClient.maxInFlight else { return false }
            n += 1
            return true
        }
        guard ok else {
            logger.warning("hooks: \(HookClient.maxInFlight) events wait for their hook bodies; \(hook) dropped")
            return
        }
        queue.async { [queuedJobs] in
            queuedJobs.withLockedValue { $0 -= 1 }
            job()
        }
    }

    private func scheduleKeepalive() {
        let loop = m.server.core.pollers.loops[0]
        state.withLockedValue { s in
            let every = s.settings.url("on_server_keepalive") != nil ? s.settings.aliveIntervalSec : 0
            guard every != s.keepaliveEvery else { return }
            s.keepalive?.cancel()
            s.keepalive = nil
            s.keepaliveEvery = every
            guard every > 0 else { return }
            let period = TimeAmount.nanoseconds(Int64(every * 1e9))
            s.keepalive = loop.scheduleRepeatedTask(initialDelay: period, delay: period) { [weak self] _ in
                guard let self else { return }
                self.enqueue("on_server_keepalive") { [weak self] in self?.sendKeepalive() }
            }
        }
    }

    private func sendKeepalive() {
        let s = snapshot
        guard let url = s.settings.url("on_server_keepalive") else { return }
        client.send(request("on_server_keepalive", url, ["data": ServerEndpoints.statistic(m)], s, what: "keepalive")) { _ in }
    }
}
