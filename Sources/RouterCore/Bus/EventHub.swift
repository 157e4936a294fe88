import Logging
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// Fans bus and host events out to subscribers, on loop 0, in the order they were emitted.
public final class EventHub: @unchecked Sendable {
    public typealias Listener = @Sendable (BusEvent) -> Void
    private struct Subscription {
        let id: Int64
        let owner: ObjectIdentifier?
        let mask: UInt64
        let deliver: Listener
    }
    private let lock = NIOLock()
    private var subscriptions: [Subscription] = []
    private var nextId: Int64 = 1
    private let loop: EventLoop
    private let logger: Logger

    init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    @discardableResult
    public func subscribe(mask: UInt64, owner: AnyObject? = nil, _ deliver: @escaping Listener) -> Int64 {
        lock.withLock {
            let id = nextId
            nextId += 1
            subscriptions.append(Subscription(id: id, owner: owner.map(ObjectIdentifier.init), mask: mask, deliver: deliver))
            return id
        }
    }

    public func unsubscribe(_ id: Int64) { lock.withLock { subscriptions.removeAll { $0.id == id } } }

    func unsubscribeAll(owner: AnyObject) {
        let oid = ObjectIdentifier(owner)
        lock.withLock { subscriptions.removeAll { $0.owner == oid } }
    }

    public func emit(_ event: BusEvent) {
        logger.debug("event \(event.name) \(event.key?.description ?? "") \(event.detail)")
        let bit = UInt64(1) << UInt64(event.type.rawValue)
        let targets = lock.withLock { subscriptions.filter { $0.mask & bit != 0 } }
        guard !targets.isEmpty else { return }
        loop.execute { for t in targets { t.deliver(event) } }
    }
}
