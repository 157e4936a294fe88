import NIOConcurrencyHelpers
import PluginABI
import RouterCore

/// What the fake host table entries of one harness reach: its listeners, connections, UDP sockets and
/// clock. Kept apart from `PluginHarness` so it exists before the plugin's `init` runs.
final class FakeHost: @unchecked Sendable {
    let clock = VirtualClock()
    let pollers: Pollers

    private struct State {
        var listeners: [FakeListener] = []
        var accepted: [FakeConnection] = []
        var outgoing: [FakeConnection] = []
        var udpSockets: [FakeUdpSocket] = []
        var nextId: UInt64 = 1
        var nextPort: UInt16 = 41_000
    }

    private let state = NIOLockedValueBox(State())

    init(pollers: Pollers) { self.pollers = pollers }

    var listeners: [FakeListener] { state.withLockedValue { $0.listeners } }
    var accepted: [FakeConnection] { state.withLockedValue { $0.accepted } }
    var outgoing: [FakeConnection] { state.withLockedValue { $0.outgoing } }
    var udpSockets: [FakeUdpSocket] { state.withLockedValue { $0.udpSockets } }

    /// A listener on `port` (0: a free fake port); nil when an open listener has the port already.
    func listen(port: UInt16, bind: String, tls: Bool, callbacks: mr_conn_callbacks, user: UnsafeMutableRawPointer?) -> FakeListener? {
        state.withLockedValue { s in
            guard let chosen = Self.pick(port, taken: Set(s.listeners.filter { !$0.isClosed }.map(\.port)), next: &s.nextPort) else {
                return nil
            }
            let l = FakeListener(port: chosen, bindAddress: bind, tls: tls, callbacks: callbacks, user: user)
            s.listeners.append(l)
            return l
        }
    }

    /// A connection accepted by `listener`, on `loop` (nil: round-robin, as the host spreads them).
    func accept(on listener: FakeListener, loop: Int?) -> FakeConnection {
        let index = loop.map { pollers.resolve(Int32($0)) } ?? pollers.nextIndex()
        let c = state.withLockedValue { s in
            defer { s.nextId += 1 }
            let c = FakeConnection(id: s.nextId, loopIndex: index, loop: pollers.loop(index), callbacks: listener.callbacks,
                                   user: listener.user)
            s.accepted.append(c)
            return c
        }
        c.open()
        return c
    }

    /// A connection the plugin asked for with tcp_connect; the test accepts or refuses it.
    func connectOut(host: String, port: UInt16, loop: Int32, callbacks: mr_conn_callbacks, user: UnsafeMutableRawPointer?) {
        let index = pollers.resolve(loop)
        state.withLockedValue { s in
            defer { s.nextId += 1 }
            s.outgoing.append(FakeConnection(id: s.nextId, loopIndex: index, loop: pollers.loop(index), callbacks: callbacks,
                                             user: user, remoteHost: host, remotePort: port))
        }
    }

    func bindUdp(port: UInt16, bind: String, group: String?, loop: Int32, callbacks: mr_udp_callbacks,
                 user: UnsafeMutableRawPointer?) -> FakeUdpSocket? {
        let index = pollers.resolve(loop)
        return state.withLockedValue { s in
            guard let chosen = Self.pick(port, taken: Set(s.udpSockets.filter { !$0.isClosed }.map(\.port)), next: &s.nextPort) else {
                return nil
            }
            let u = FakeUdpSocket(port: chosen, bindAddress: bind, multicastGroup: group, loopIndex: index, loop: pollers.loop(index),
                                  callbacks: callbacks, user: user)
            s.udpSockets.append(u)
            return u
        }
    }

    /// `port`, or a free fake one for 0; nil when `port` is taken.
    private static func pick(_ port: UInt16, taken: Set<UInt16>, next: inout UInt16) -> UInt16? {
        guard port == 0 else { return taken.contains(port) ? nil : port }
        while taken.contains(next) || next == 0 { next &+= 1 }
        defer { next &+= 1 }
        return next
    }

    /// The timer's loop: the one asked for, else the calling loop, else loop 0 (as the host picks).
    func startTimer(loop: Int32, delayMs: Int64, repeatMs: Int64, fn: @escaping FakeTimer.Callback,
                    user: UnsafeMutableRawPointer?) -> FakeTimer {
        let index = loop >= 0 && Int(loop) < pollers.count ? Int(loop) : (pollers.currentIndex() ?? 0)
        return clock.start(loopIndex: index, delayMs: delayMs, repeatMs: repeatMs, fn: fn, user: user)
    }

    /// Advances the clock, running each due timer's callback on its loop and letting the loops settle after it.
    func advance(byMs ms: Int64, settle: () -> Void) {
        clock.advance(byMs: ms) { timer, due in
            _ = try? pollers.loop(timer.loopIndex).submit {
                if self.clock.claim(timer, dueUs: due) { timer.callPlugin() }
            }.wait()
            settle()
        }
    }

    /// The plugin is stopping: no timer fires any more, and what is still open closes as the host closes it.
    func closeAll() {
        clock.halt()
        let (connections, sockets) = state.withLockedValue { ($0.accepted + $0.outgoing, $0.udpSockets) }
        for c in connections where c.isOpen { c.shutdown() }
        for u in sockets { u.close(reason: Int32(MR_CLOSE_SHUTDOWN.rawValue)) }
        for l in state.withLockedValue({ $0.listeners }) { l.close() }
    }
}
