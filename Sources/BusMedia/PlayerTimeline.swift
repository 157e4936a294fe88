import MRPluginKit
import PluginABI

/// What a player adds to shared ring packets: its own timeline starting near 0. The first packet after
/// the ring header fixes the player's time base; each packet is then sent as ranges of the shared buffer
/// plus the rewritten header bytes the format's `rewrite` produces.
public struct PlayerTimeline {
    public typealias Rewrite = (_ out: inout IovecBuilder, _ buf: OpaquePointer, _ data: UnsafeRawBufferPointer, _ shiftMs: UInt32) -> Bool

    private var timebaseMs: UInt32?
    private var start = StaleFrameFilter()
    private var iov = IovecBuilder()

    public init() {}

    /// Sends `frames` to `conn`; returns the bytes of the shared packets. A packet `rewrite` cannot parse
    /// goes out unchanged.
    public mutating func send(_ host: PluginHost, _ conn: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>,
                              rewrite: Rewrite) -> Int {
        var bytes = 0
        for f in frames {
            guard let payload = f.payload else { continue }
            let data = host.bytes(of: payload)
            bytes += data.count
            if f.flags & UInt32(MR_FRAME_HEADER) != 0 {
                iov.range(payload, 0, data.count)   // metadata and sequence headers, at 0 already
                continue
            }
            guard start.admits(f) else { continue }
            let shift = timebaseMs ?? UInt32(truncatingIfNeeded: max(0, f.dts) / 1000)
            timebaseMs = shift
            if !rewrite(&iov, payload, data, shift) { iov.range(payload, 0, data.count) }
        }
        iov.send(host, conn)
        return bytes
    }
}
