import NIOCore

/// How much a TCP connection may hold that its peer has not taken: NIO's queue (whose watermarks pause a
/// player's bus reader) and the kernel's unsent bytes.
///
/// Without a bound on the kernel's part, Linux grows a socket's send buffer up to `tcp_wmem`'s maximum (4 MB
/// here) for a slow reader on a fast path, loopback or LAN: a player on a 10 KB/s link of a 1 Mbit/s stream
/// queued 1 MB unsent in 8 s and NIO never became unwritable, so the bus never paused it nor skipped it to a
/// keyframe, and it fell 30 s behind holding 4 MB of kernel memory. `TCP_NOTSENT_LOWAT` makes the socket
/// refuse writes past that many unsent bytes; what is in flight (the peer's window) is not limited by it, so a
/// player keeping up never meets it. Small (the 16 KB web servers use for HTTP/2) because the kernel wakes a
/// writer only below half of it: NIO's queue, which `StallWatch` watches for progress, moves in steps of that
/// half, 6 s apart on a 10 kbit/s link (128 KB made them 50 s, longer than any stall timeout).
enum TcpSendQueue {
    /// NIO's queue of a player that does not keep up holds up to `high` bytes of frames, two buffers each, in a
    /// ring that keeps its largest size: 64 KiB (a quarter second of a 2 Mbit/s stream, on top of the kernel's
    /// unsent bytes) bounds that ring to about 64 entries where 256 KiB took 256, and a paused slow player
    /// resumes after 32 KiB drained instead of 192.
    static let waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)
    static let kernelUnsentLimit = 16 * 1024
    static let kernelUnsentOption = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 25))  // TCP_NOTSENT_LOWAT
}
