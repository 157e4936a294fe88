import NIOConcurrencyHelpers

/// Plugin time under the harness: `now_us` reads it, and plugin timers fire only when a test moves it with
/// `PluginHarness.advance(ms:)`, so a timeout is reached in microseconds of test time and always in the
/// same order.
public final class VirtualClock: @unchecked Sendable {
    private struct State {
        var nowUs: Int64
        var nextOrder = 0
        /// Armed timers and when each fires next.
        var armed: [ObjectIdentifier: (timer: FakeTimer, dueUs: Int64)] = [:]
        /// Every timer ever started, kept so their handles stay valid.
        var all: [FakeTimer] = []
        var halted = false
    }

    private let state: NIOLockedValueBox<State>

    /// Starts far from 0 so that code subtracting a "last seen" time of 0 behaves as on a real machine.
    public init(startUs: Int64 = 1_000_000_000) { state = NIOLockedValueBox(State(nowUs: startUs)) }

    public var nowUs: Int64 { state.withLockedValue { $0.nowUs } }

    /// Timers armed now (started, not cancelled, not spent).
    public var armedTimers: Int { state.withLockedValue { $0.armed.count } }

    /// When the next armed timer fires, if any.
    public var nextDueUs: Int64? { state.withLockedValue { $0.armed.values.map(\.dueUs).min() } }

    func start(loopIndex: Int, delayMs: Int64, repeatMs: Int64, fn: @escaping FakeTimer.Callback,
               user: UnsafeMutableRawPointer?) -> FakeTimer {
        state.withLockedValue { s in
            let t = FakeTimer(clock: self, loopIndex: loopIndex, repeatUs: repeatMs > 0 ? repeatMs * 1000 : 0, order: s.nextOrder, fn: fn, user: user)
            s.nextOrder += 1
            s.all.append(t)
            if !s.halted { s.armed[ObjectIdentifier(t)] = (t, s.nowUs + max(delayMs, 0) * 1000) }
            return t
        }
    }

    func cancel(_ t: FakeTimer) { _ = state.withLockedValue { $0.armed.removeValue(forKey: ObjectIdentifier(t)) } }

    /// No timer fires any more (the plugin is stopping).
    func halt() {
        state.withLockedValue { s in
            s.halted = true
            s.armed.removeAll()
        }
    }

    /// Moves time forward by `ms`, one due timer at a time in due order: time stands at each timer's due
    /// instant while `fire` runs it (on its loop, through `claim`), so what its callback starts is scheduled
    /// from there.
    func advance(byMs ms: Int64, fire: (FakeTimer, _ dueUs: Int64) -> Void) {
        let target = state.withLockedValue { $0.nowUs } + max(ms, 0) * 1000
        while let (t, due) = nextDue(until: target) {
            fire(t, due)
            // A firing that never ran (its loop is gone) must not come round again.
            state.withLockedValue { s in
                if s.armed[ObjectIdentifier(t)]?.dueUs == due { s.armed.removeValue(forKey: ObjectIdentifier(t)) }
            }
        }
        state.withLockedValue { $0.nowUs = max($0.nowUs, target) }
    }

    /// On the timer's loop, just before its callback: false when it was cancelled meanwhile. A one-shot
    /// timer is spent from here on; a repeating one is due again a period later.
    func claim(_ t: FakeTimer, dueUs: Int64) -> Bool {
        state.withLockedValue { s in
            let id = ObjectIdentifier(t)
            guard let armed = s.armed[id], armed.dueUs == dueUs else { return false }
            s.nowUs = max(s.nowUs, dueUs)
            if t.repeatUs > 0 {
                s.armed[id] = (t, dueUs + t.repeatUs)
            } else {
                s.armed.removeValue(forKey: id)
            }
            return true
        }
    }

    private func nextDue(until target: Int64) -> (FakeTimer, Int64)? {
        state.withLockedValue { s in
            let due = s.armed.values.filter { $0.dueUs <= target }
            return due.min { ($0.dueUs, $0.timer.order) < ($1.dueUs, $1.timer.order) }.map { ($0.timer, $0.dueUs) }
        }
    }
}
