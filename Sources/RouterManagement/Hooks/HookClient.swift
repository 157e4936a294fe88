import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import MRPluginKit
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import NIOHTTP1
import RouterCore

/// One hook to send: its name, URL and body, the settings it was asked under, and for hooks someone waits
/// on (auth), the time by which a verdict must exist.
struct HookRequest: Sendable {
    let hook: String
    let url: String
    var body: [String: any Sendable]
    let settings: HookSettings
    let mediaServerId: String
    /// What the hook is about, for the log.
    let what: String
    var deadline: NIODeadline? = nil
}

/// POSTs hooks with AsyncHTTPClient on the core's own event loops (no thread pool of its own) and turns
/// each into one verdict: the answer, or after retries of a network or parse failure, the configured
/// default. Pending hooks are bounded; the default applies beyond the bound. Nothing here blocks a loop.
final class HookClient: @unchecked Sendable {
    static let maxInFlight = 256
    /// Hook answers are a code and a few options; a larger one is a misconfigured URL.
    static let maxAnswerBytes = 64 << 10

    private let group: EventLoopGroup
    private let logger: Logger
    private struct Counters {
        var inFlight = 0
        var overflowLogged = false
        var nextIndex: Int64 = 0
        var stopped = false
        /// Made by the first hook sent: a server with hooks off never has one.
        var http: HTTPClient?
    }
    private let counters = NIOLockedValueBox(Counters())

    /// Hook latency and outcomes for /metrics.
    var metrics: PrometheusCollectorRegistry?

    init(group: EventLoopGroup, logger: Logger) {
        self.group = group
        self.logger = logger
    }

    private var http: HTTPClient? {
        counters.withLockedValue { c in
            guard !c.stopped else { return nil }
            if let h = c.http { return h }
            var config = HTTPClient.Configuration()
            config.timeout = .init(connect: .seconds(5))
            // AsyncHTTPClient otherwise retries a refused connect with backoff until the request's deadline: a
            // hook server that is down held every publish and play for the whole timeoutSec. Our own retry
            // (hook.retry, retry_delay) is the policy; a refusal fails the attempt at once.
            config.connectionPool.retryConnectionEstablishment = false
            let h = HTTPClient(eventLoopGroup: group, configuration: config)
            c.http = h
            return h
        }
    }

    /// Before the core's loops stop: pending requests fail (and get their default).
    func shutdown() {
        let http = counters.withLockedValue { c -> HTTPClient? in
            defer { c.stopped = true; c.http = nil }
            return c.http
        }
        do { try http?.syncShutdown() } catch { logger.warning("hooks: HTTP client shutdown: \(error)") }
    }

    /// Reserves a slot for a hook; false, logged once per overflow, when `maxInFlight` are pending.
    func admit(_ hook: String) -> Bool {
        let (ok, log) = counters.withLockedValue { c -> (Bool, Bool) in
            guard !c.stopped else { return (false, false) }
            guard c.inFlight < Self.maxInFlight else {
                defer { c.overflowLogged = true }
                return (false, !c.overflowLogged)
            }
            c.inFlight += 1
            if c.inFlight < Self.maxInFlight / 2 { c.overflowLogged = false }
            return (true, false)
        }
        if log { logger.warning("hooks: \(Self.maxInFlight) hooks pending; \(hook) and later ones get the default until they drain") }
        return ok
    }

    private func release() { counters.withLockedValue { $0.inFlight -= 1 } }

    /// Admits and sends; `done` runs once, on an event loop (or at once with the default when not admitted).
    func send(_ r: HookRequest, _ done: @escaping @Sendable (HookVerdict) -> Void) {
        // Streams closing as the server stops raise events after the client is gone: no hook, no noise.
        if counters.withLockedValue({ $0.stopped }) { return done(.fallback(r.settings.defaultAllow, "server stopping")) }
        guard admit(r.hook) else {
            return done(finalDefault(r, "too many hooks pending"))
        }
        post(r, done)
    }

    /// Sends a hook `admit` let through.
    func post(_ r: HookRequest, _ done: @escaping @Sendable (HookVerdict) -> Void) {
        var request = r
        let index = counters.withLockedValue { c -> Int64 in defer { c.nextIndex += 1 }; return c.nextIndex }
        request.body["mediaServerId"] = r.mediaServerId
        request.body["hook_index"] = index
        let bytes = Array(CommandJSON.text(request.body.mapValues { $0 as Any }).utf8)
        let started = NIODeadline.now()
        let registry = metrics
        let finish: @Sendable (HookVerdict) -> Void = { [self] verdict in
            release()
            if let registry {
                let result = verdict.byDefault ? "failed" : (verdict.allowed ? "allowed" : "denied")
                registry.makeCounter(name: "mediarouter_hook_requests_total", labels: [("hook", r.hook), ("result", result)],
                                     help: "hooks sent, by outcome (failed = no usable answer, the default applied)").increment()
                registry.makeDurationHistogram(name: "mediarouter_hook_duration_seconds", labels: [("hook", r.hook)],
                                               buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(200), .seconds(1), .seconds(5), .seconds(30)],
                                               help: "time from sending a hook to its verdict, retries included")
                    .recordNanoseconds((NIODeadline.now() - started).nanoseconds)
            }
            done(verdict)
        }
        attempt(request, bytes: bytes, number: 0, finish)
    }

    private func attempt(_ r: HookRequest, bytes: [UInt8], number: Int, _ finish: @escaping @Sendable (HookVerdict) -> Void) {
        let now = NIODeadline.now()
        var deadline = now + .nanoseconds(Int64(r.settings.timeoutSec * 1e9))
        if let cap = r.deadline { deadline = min(deadline, cap) }
        guard deadline > now else { return finish(finalDefault(r, "no time left for an answer")) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: r.url, method: .POST, headers: ["Content-Type": "application/json"],
                                             body: .bytes(bytes))
        } catch {
            return finish(finalDefault(r, "bad URL \(r.url): \(error)"))
        }
        guard let http else { return finish(finalDefault(r, "server stopping")) }
        let started = now
        http.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: Self.maxAnswerBytes),
                     deadline: deadline).futureResult.whenComplete { [self] result in
            let failure: String
            switch result {
            case .success(let response):
                let body = response.body.map { Array($0.readableBytesView) } ?? []
                switch HookAnswer.read(status: Int(response.status.code), body: body) {
                case .answered(let verdict):
                    log(r, verdict, ms: (NIODeadline.now() - started).nanoseconds / 1_000_000)
                    return finish(verdict)
                case .unreadable(let why):
                    failure = why
                }
            case .failure(let error):
                failure = Self.describe(error)
            }
            retryOrDefault(r, bytes: bytes, number: number, failure: failure, finish)
        }
    }

    private func retryOrDefault(_ r: HookRequest, bytes: [UInt8], number: Int, failure: String,
                                _ finish: @escaping @Sendable (HookVerdict) -> Void) {
        let delay = TimeAmount.nanoseconds(Int64(r.settings.retryDelaySec * 1e9))
        let stopped = counters.withLockedValue { $0.stopped }
        let inTime = r.deadline.map { NIODeadline.now() + delay < $0 } ?? true
        guard number < r.settings.retry, inTime, !stopped else {
            let tries = number + 1
            return finish(finalDefault(r, "\(failure) (\(tries) attempt\(tries == 1 ? "" : "s"))"))
        }
        logger.debug("hook \(r.hook) for \(r.what): \(failure); retry \(number + 1) of \(r.settings.retry) in \(r.settings.retryDelaySec) s")
        group.next().scheduleTask(in: delay) { [self] in
            attempt(r, bytes: bytes, number: number + 1, finish)
        }
    }

    /// The configured default, logged once per hook (not once per attempt).
    private func finalDefault(_ r: HookRequest, _ why: String) -> HookVerdict {
        let allow = r.settings.defaultAllow
        logger.warning("hook \(r.hook) for \(r.what) failed: \(why); \(allow ? "allowed" : "denied") by default (hook.default_allow)")
        return .fallback(allow, why)
    }

    private func log(_ r: HookRequest, _ v: HookVerdict, ms: Int64) {
        if !v.allowed {
            logger.notice("hook \(r.hook) for \(r.what) said no: \(v.reason)")
        } else if ms > 500 {
            logger.info("hook \(r.hook) for \(r.what) took \(ms) ms")
        }
    }

    private static func describe(_ error: Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout { return "no answer in time" }
            if e == .connectTimeout { return "connect timed out" }
        }
        return "\(error)"
    }
}
