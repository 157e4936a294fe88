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
        let ticket = AuthTicket(loop: loop) { done($0.allowed, $0.reason) }
        ticket.setTimeout(loop.scheduleTask(in: .milliseconds(Int64(timeout))) { [logger] in
            if ticket.resolve((fallback, "auth handler did not answer in \(timeout) ms")) {
                logger.warning("auth for \(description): no answer in \(timeout) ms, \(fallback ? "allowed" : "denied") by default")
            }
        })
        let retained = Unmanaged.passRetained(ticket)
        h.fn(h.user, request, OpaquePointer(retained.toOpaque()))
    }
}
