import PluginABI

/// Backpressure for a player: its reader pauses while the socket is full (the bus keeps its place and
/// skips it to the newest keyframe if it falls too far behind), and if the socket stays full for
/// `timeoutMs` the player is given up on through `onStall`, on the connection's loop.
/// Owned by the player, which calls `cancel()` when its connection closes.
public final class StallWatch {
    private let host: PluginHost
    public let timeoutMs: Int
    private var timer: OpaquePointer?
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
            // Unretained: the player cancels the timer before it lets go of this watch.
            timer = host.table.timer_start(host.host, host.table.conn_loop(conn), Int64(timeoutMs), 0, { user, _ in
                guard let user else { return }
                let watch = Unmanaged<StallWatch>.fromOpaque(user).takeUnretainedValue()
                watch.timer = nil
                watch.onStall()
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    public func cancel() {
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
    }
}
