import PluginABI

/// A plugin timer (`mr_timer *`) on the virtual clock. Its schedule lives in the clock; the object stays
/// alive as long as the clock, so a late `timer_cancel` of a spent one-shot timer finds it instead of freed
/// memory.
final class FakeTimer: @unchecked Sendable {
    typealias Callback = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void

    let loopIndex: Int
    let repeatUs: Int64
    /// Start order: timers due at the same instant fire in the order they were started.
    let order: Int
    /// The clock keeps every timer it started, so it outlives them.
    unowned let clock: VirtualClock
    private let fn: Callback
    private let user: UnsafeMutableRawPointer?

    init(clock: VirtualClock, loopIndex: Int, repeatUs: Int64, order: Int, fn: @escaping Callback, user: UnsafeMutableRawPointer?) {
        self.loopIndex = loopIndex
        self.repeatUs = repeatUs
        self.order = order
        self.clock = clock
        self.fn = fn
        self.user = user
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> FakeTimer? {
        guard let handle else { return nil }
        return Unmanaged<FakeTimer>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// The plugin's callback; on the timer's loop.
    func callPlugin() { fn(user, handle) }
}
