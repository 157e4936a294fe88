import CSocketShims
import NIOCore

/// TCP_NODELAY only while a connection is a handshake or a request: once a plugin sends a bus reader's frames
/// on it (a player, a push), Nagle's algorithm is back unless `[server] tcp_nodelay_while_streaming` says
/// otherwise or the plugin chose the option itself.
///
/// With TCP_NODELAY every frame leaves as its own segment at once. Without it, a frame written while an
/// earlier small segment is still unacknowledged waits for that ACK and leaves with whatever came meanwhile:
/// fewer, fuller segments, each of which costs the whole stack once on both ends (on loopback the receiving
/// half runs in the sender's system call). A player reading as it plays mostly acknowledges at once (video
/// added latency p99 under 5 ms measured); a frame that meets a delayed ACK waits for it (40 ms on Linux),
/// which the glass-to-glass probe saw for one frame in 360. nginx-rtmp and SRS (`tcp_nodelay off`) stream
/// this way; docs/benchmarks.md has the CPU and glass-to-glass figures of both settings.
extension TcpConnection {
    /// Every send of the host's calls passes here first.
    @inline(__always)
    func noteSend() {
        if !streaming, mr_shim_delivering() != 0 { startStreaming() }
    }

    private func startStreaming() {
        streaming = true
        guard !nodelayChosen, let owner, !owner.core.bus.settings.nodelayWhileStreaming else { return }
        // On this loop NIO sets the option at once; a socket already closing refuses it, which is fine.
        channel.setOption(.tcpOption(.tcp_nodelay), value: 0).whenFailure { _ in }
    }
}
