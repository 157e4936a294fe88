import Logging
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// Asks the registered auth handler whether a publish or play may go ahead, with a timeout and a default.
final class AuthBroker: @unchecked Sendable {
    private let lock = NIOLock()
    private var handler: (fn: mr_auth_handler_fn, user: UnsafeMutableRawPointer?, owner: HostContext)?
    private var timeoutMs: Int
    private var defaultAllow: Bool
    private let pollers: Pollers
    private let logger: Logger

    init(pollers: Pollers, timeoutMs: Int, defaultAllow: Bool, logger: Logger) {
        self.pollers = pollers
        self.timeoutMs = timeoutMs
        self.defaultAllow = defaultAllow
        self.logger = logger
    }

    func configure(timeoutMs: Int, defaultAllow: Bool) {
        lock.withLock {
            self.timeoutMs = timeoutMs
            self.defaultAllow = defaultAllow
        }
    }

    func setHandler(_ fn: @escaping mr_auth_handler_fn, user: UnsafeMutableRawPointer?, owner: HostContext) {
        lock.withLock { handler = (fn, user, owner) }
    }

    func removeHandler(ownedBy owner: HostContext) {
        lock.withLock { if handler?.owner === owner { handler = nil } }
    }

    /// `done` runs once on `loop`.
    func ask(_ request: UnsafePointer<mr_auth_request>, loop: EventLoop, description: String,
             done: @escaping @Sendable (Bool, String) -> Void) {
        let (h, timeout, fallback) = lock.withLock { (handler, timeoutMs, defaultAllow) }
        guard let h else {
            loop.execute { done(true, "no auth handler") }
            return
        }
        let ticket = AuthTicket(loop: loop, done: done)
        ticket.timer = loop.scheduleTask(in: .milliseconds(Int64(timeout))) { [logger] in
            if ticket.resolve(fallback, "auth handler did not answer in \(timeout) ms") {
                logger.warning("auth for \(description): no answer in \(timeout) ms, \(fallback ? "allowed" : "denied") by default")
            }
        }
        let retained = Unmanaged.passRetained(ticket)
        h.fn(h.user, request, OpaquePointer(retained.toOpaque()))
    }
}

/// A pending auth question (`mr_auth_ticket`). The handler's answer holds the one extra reference.
final class AuthTicket: @unchecked Sendable {
    let loop: EventLoop
    let done: @Sendable (Bool, String) -> Void
    var timer: Scheduled<Void>?
    private let lock = NIOLock()
    private var answered = false

    init(loop: EventLoop, done: @escaping @Sendable (Bool, String) -> Void) {
        self.loop = loop
        self.done = done
    }

    /// First answer wins; returns whether this one did.
    @discardableResult
    func resolve(_ allowed: Bool, _ reason: String) -> Bool {
        let first = lock.withLock { () -> Bool in
            if answered { return false }
            answered = true
            return true
        }
        guard first else { return false }
        timer?.cancel()
        loop.execute { self.done(allowed, reason) }
        return true
    }
}
