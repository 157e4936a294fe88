import PluginABI

/// Backpressure for a player: its reader pauses while the socket is full (the bus keeps its place and
/// skips it to the newest keyframe if it falls too far behind), and if the player takes less than
/// `minBytesPerSecond` of its queue for `timeoutMs` while the socket is full, it is given up on through
/// `onStall`, on the connection's loop. A player on a thin link that does read stays: it drains NIO's
/// watermark gap (192 KB) far slower than any timeout, and the bus skips it meanwhile.
/// Owned by the player, which calls `cancel()` when its connection closes.
public final class StallWatch {
    /// Below this a player counts as stopped: a 10 kbit/s link takes over 1 KB a second, a slow-read attack
    /// that takes a byte now and then does not.
    public static let minBytesPerSecond = 512
    private let host: PluginHost
    public let timeoutMs: Int
    private var timer: OpaquePointer?
    private var conn: OpaquePointer?
    /// The queue's size when the current timer was started.
    private var pendingAtStart = 0
    private let onStall: () -> Void

    public init(host: PluginHost, timeoutMs: Int, onStall: @escaping () -> Void) {
        self.host = host
        self.timeoutMs = timeoutMs
        self.onStall = onStall
    }

    public func writabilityChanged(_ conn: OpaquePointer, reader: OpaquePointer?, writable: Bool) {
        guard let reader else { return }
        host.table.reader_set_paused(reader, writable ? 0 : 1)
        if writable {
            cancel()
        } else if timer == nil {
            self.conn = conn
            arm()
        }
    }

    private func arm() {
        guard let conn else { return }
        pendingAtStart = host.table.conn_pending_bytes(conn)
        // Unretained: the player cancels the timer before it lets go of this watch.
        timer = host.table.timer_start(host.host, host.table.conn_loop(conn), Int64(timeoutMs), 0, { user, _ in
            guard let user else { return }
            Unmanaged<StallWatch>.fromOpaque(user).takeUnretainedValue().fired()
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func fired() {
        timer = nil
        guard let conn else { return onStall() }
        // The reader is paused: the queue only shrinks by what the player took (less the few bytes a protocol
        // may add meanwhile, pings and reports).
        let taken = pendingAtStart - host.table.conn_pending_bytes(conn)
        if taken >= Self.minBytesPerSecond * timeoutMs / 1000 { return arm() }
        onStall()
    }

    public func cancel() {
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
    }
}
