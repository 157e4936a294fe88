import CSrt
import MRPluginKit
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// What the poller thread tells a socket's owner. Called on the poller thread: implementations touch only
/// their immutable fields and libsrt (thread-safe), and hop to their loop for anything else.
protocol SrtSocketOwner: AnyObject {
    func ready(_ sock: SRTSOCKET, events: Int32)
}

/// The plugin's one thread on `srt_epoll_uwait`: libsrt's own receive and send threads do the UDP work, this
/// thread only learns which sockets are readable (publishers, the listener), writable again (paused players,
/// connecting callers) or broken, and hands that to the socket's owner.
///
/// A uwait set holds SRT sockets only (no eventfd), so adds and removes are not signalled: libsrt's uwait
/// re-reads its set on each of its internal wake-ups (at most 10 ms apart), which picks up a socket added
/// meanwhile; `stop` ends the loop within one timeout.
final class SrtPoller: @unchecked Sendable {
    private let eid: Int32
    private let owners = LockedValue<[SRTSOCKET: SrtSocketOwner]>([:])
    private let running = LockedValue(true)
    private var thread: pthread_t?

    init?() {
        eid = srt_epoll_create()
        guard eid >= 0 else { return nil }
        // An empty set is normal (no connections yet), not an error.
        _ = srt_epoll_set(eid, Int32(SRT_EPOLL_ENABLE_EMPTY.rawValue))
    }

    func start() -> Bool {
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { user in
            guard let user else { return nil }
            let poller = Unmanaged<SrtPoller>.fromOpaque(user).takeRetainedValue()
            poller.run()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        guard rc == 0 else { return false }
        thread = t
        return true
    }

    /// [control] Ends the thread and waits for it; the sockets are the owners' to close.
    func stop() {
        running.withLock { $0 = false }
        if let thread { pthread_join(thread, nil) }
        thread = nil
        owners.withLock { $0.removeAll() }
        srt_epoll_release(eid)
    }

    func add(_ sock: SRTSOCKET, events: Int32, owner: SrtSocketOwner) -> Bool {
        owners.withLock { $0[sock] = owner }
        var ev = events
        guard srt_epoll_add_usock(eid, sock, &ev) == 0 else {
            owners.withLock { _ = $0.removeValue(forKey: sock) }
            return false
        }
        return true
    }

    func update(_ sock: SRTSOCKET, events: Int32) {
        var ev = events
        _ = srt_epoll_update_usock(eid, sock, &ev)
    }

    func remove(_ sock: SRTSOCKET) {
        // libsrt's garbage collector retires a broken socket on its own (within about a second of the break) and
        // wipes it from every epoll set itself; removing it again then fails inside libsrt, which logs two
        // "internal program error" lines (Haivision/srt#1370). Only a socket libsrt still knows is removed here.
        if srt_getsockstate(sock) != SRTS_NONEXIST {
            _ = srt_epoll_remove_usock(eid, sock)
        }
        owners.withLock { _ = $0.removeValue(forKey: sock) }
    }

    private func run() {
        var events = [SRT_EPOLL_EVENT](repeating: SRT_EPOLL_EVENT(), count: 256)
        while running.withLock({ $0 }) {
            let n = events.withUnsafeMutableBufferPointer { srt_epoll_uwait(eid, $0.baseAddress, Int32($0.count), 100) }
            guard n > 0 else { continue }
            for e in events.prefix(Int(n)) {
                guard let owner = owners.withLock({ $0[e.fd] }) else { continue }
                owner.ready(e.fd, events: e.events)
            }
            // libsrt makes a publisher's packets readable one at a time (its TSBPD thread releases each at
            // its time), so waiting again at once wakes this thread per packet per publisher; a short pause
            // lets packets of many sockets gather for one wake. Nothing is lost (the set is level-triggered)
            // and 2 ms is nothing next to SRT's latency.
            usleep(Self.gatherMicroseconds)
        }
    }

    private static let gatherMicroseconds: useconds_t = 2000

    static let inputEvents = Int32(SRT_EPOLL_IN.rawValue | SRT_EPOLL_ERR.rawValue)
    static let outputEvents = Int32(SRT_EPOLL_OUT.rawValue | SRT_EPOLL_ERR.rawValue)
    static let errorEvents = Int32(SRT_EPOLL_ERR.rawValue)
}
