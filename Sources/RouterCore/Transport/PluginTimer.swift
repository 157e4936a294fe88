import NIOCore
import PluginABI

/// A plugin timer (`mr_timer`), on one loop.
final class PluginTimer: @unchecked Sendable {
    let loop: EventLoop
    let fn: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void
    let user: UnsafeMutableRawPointer?
    weak var owner: HostContext?
    private var scheduled: Scheduled<Void>?
    private var repeated: RepeatedTask?
    private var cancelled = false

    init(loop: EventLoop, fn: @escaping @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void,
         user: UnsafeMutableRawPointer?, owner: HostContext) {
        self.loop = loop
        self.fn = fn
        self.user = user
        self.owner = owner
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> PluginTimer? {
        guard let handle else { return nil }
        return Unmanaged<PluginTimer>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Any thread: arming happens on the timer's loop so `cancel` there is race-free.
    func start(delayMs: Int64, repeatMs: Int64) {
        owner?.track(self)
        loop.execute {
            guard !self.cancelled else { return }
            if repeatMs > 0 {
                self.repeated = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(max(delayMs, 0)),
                                                               delay: .milliseconds(repeatMs)) { _ in self.fire(once: false) }
            } else {
                self.scheduled = self.loop.scheduleTask(in: .milliseconds(max(delayMs, 0))) { self.fire(once: true) }
            }
        }
    }

    private func fire(once: Bool) {
        guard !cancelled, owner?.alive.load(ordering: .relaxed) == true else { return }
        if once {
            // A one-shot timer is spent after it fires; the plugin must not cancel it afterwards.
            cancelled = true
            owner?.forget(self)
        }
        fn(user, handle)
    }

    /// Owner loop. After this the callback does not run; the handle is released.
    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        scheduled?.cancel()
        repeated?.cancel()
        owner?.forget(self)
    }
}
