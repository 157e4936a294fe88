import PluginABI

/// What every connection session of a protocol plugin does the same way: it closes once (a failure says why
/// in one log line), counts its bytes in and out, owns its timers and its player's stall watch, and undoes
/// all of that when the host reports the connection closed. The session keeps one and runs on the
/// connection's loop only, as does everything here.
public final class SessionCore {
    public let host: PluginHost
    public let conn: OpaquePointer
    public let peer: String
    public let loop: Int32
    /// The plugin's gauge of open sessions this one counts in ("sessions", "connections").
    private let gauge: String
    /// Set by the first close, the session's or the peer's: nothing is sent or started after it.
    public private(set) var isClosing = false
    private var inStats = BatchedStat(name: "bytes_in")
    private var outStats = BatchedStat(name: "bytes_out")
    private var timers: [ObjectIdentifier: SessionTimer] = [:]
    private var stall: StallWatch?

    public init(host: PluginHost, conn: OpaquePointer, gauge: String) {
        self.host = host
        self.conn = conn
        self.gauge = gauge
        peer = host.peer(conn)
        loop = host.table.conn_loop(conn)
    }

    /// The connection is open: it counts in the gauge until `closed`.
    public func opened() { host.stat(gauge, add: 1) }

    // MARK: closing

    /// Closes the connection, once; `line` (at `level`) says why when the end is not an ordinary one.
    public func close(_ line: String? = nil, level: mr_log_level = MR_LOG_WARNING) {
        guard !isClosing else { return }
        if let line { host.log(level, line) }
        isClosing = true
        host.table.conn_close(conn, 0)
    }

    /// A session that cannot go on: one warning line, then the connection closes.
    public func fail(_ reason: String) { close("session \(peer): \(reason); closing it") }

    /// The host closed the connection (after `close`, or the peer left): timers and the stall watch stop,
    /// the byte counts are handed over, the gauge goes down. The session releases its own resources too.
    public func closed(message: String, logged: Bool) {
        isClosing = true
        stall?.cancel()
        for t in timers.values { t.stop() }
        timers.removeAll()
        inStats.flush(host)
        outStats.flush(host)
        host.stat(gauge, add: -1)
        if logged { host.log(MR_LOG_DEBUG, "session \(peer) closed: \(message)") }
    }

    // MARK: bytes

    public func countIn(_ bytes: Int) { inStats.add(bytes, host) }
    public func countOut(_ bytes: Int) { outStats.add(bytes, host) }

    /// Sends and counts.
    public func send(_ bytes: [UInt8]) {
        outStats.add(bytes.count, host)
        host.send(conn, bytes)
    }

    // MARK: timers

    /// Runs `fire` on the session's loop after `afterMs`, then every `everyMs` if that is positive, until the
    /// timer is cancelled or the session closes. Nil when the host refused (the plugin is stopping).
    @discardableResult
    public func startTimer(afterMs: Int64, everyMs: Int64 = 0, _ fire: @escaping () -> Void) -> SessionTimer? {
        guard !isClosing else { return nil }
        let timer = SessionTimer(core: self, repeats: everyMs > 0, fire: fire)
        // Unretained: `timers` keeps the object until the host's timer is cancelled or has fired its last.
        guard let handle = host.table.timer_start(host.host, loop, afterMs, everyMs, { user, _ in
            guard let user else { return }
            Unmanaged<SessionTimer>.fromOpaque(user).takeUnretainedValue().fired()
        }, Unmanaged.passUnretained(timer).toOpaque()) else { return nil }
        timer.handle = handle
        timers[ObjectIdentifier(timer)] = timer
        return timer
    }

    fileprivate func forget(_ timer: SessionTimer) { timers[ObjectIdentifier(timer)] = nil }

    // MARK: players

    /// Backpressure for a player's `reader` (see StallWatch): paused while the socket is full, and given up on
    /// through `onStall` when it stays full for the timeout (read at the first call).
    public func writabilityChanged(reader: OpaquePointer?, writable: Bool, stallTimeoutMs: @autoclosure () -> Int,
                                   onStall: @escaping () -> Void) {
        let watch = stall ?? StallWatch(host: host, timeoutMs: stallTimeoutMs(), onStall: onStall)
        stall = watch
        watch.writabilityChanged(conn, reader: reader, writable: writable)
    }
}

/// A timer a SessionCore owns: cancelled by the session, or at the latest when it closes.
public final class SessionTimer {
    fileprivate var handle: OpaquePointer?
    private unowned let core: SessionCore
    private let repeats: Bool
    private let fire: () -> Void

    fileprivate init(core: SessionCore, repeats: Bool, fire: @escaping () -> Void) {
        self.core = core
        self.repeats = repeats
        self.fire = fire
    }

    /// Stops the timer if it has not fired (a one-shot) or is still repeating; a second call does nothing.
    public func cancel() {
        guard handle != nil else { return }
        stop()
        core.forget(self)
    }

    fileprivate func stop() {
        if let h = handle { core.host.table.timer_cancel(h) }
        handle = nil
    }

    fileprivate func fired() {
        if !repeats {
            // The host frees a one-shot timer after this callback: it must not be cancelled again.
            handle = nil
            core.forget(self)
        }
        fire()
    }
}
