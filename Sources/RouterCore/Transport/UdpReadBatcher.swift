import NIOCore

/// Reads a loop's trickle UDP sockets on a timer instead of on readiness (mr_udp_options.read_interval_ms).
///
/// A GB28181 camera sends 2 Mbit/s as bursts of a few datagrams per picture. Read on readiness, each burst
/// costs the loop a wakeup, NIO's own read of the first datagram and a recvmmsg that finds the rest or nothing:
/// at 50 cameras those were about two thirds of the server's CPU, the plugin's work the other third. A socket
/// that opted in leaves the loop's epoll interest after a read that found less than a batch, and every
/// `interval` the loop reads all such sockets of that interval in one pass, a recvmmsg each. It goes back to
/// readiness when it has been quiet for `quietMs` (an idle RTP server costs nothing) or when one pass finds
/// more waiting than a pass takes (a high rate amortises its wakeups by itself, and the timer must not hold it).
final class UdpReadBatcher: Sendable {
    /// Quiet time after which a socket is read on readiness again.
    static let quietMs = 500
    /// Longest interval a plugin may ask for: past it a burst of a few datagrams waits too long.
    static let maxIntervalMs = 100

    private struct Pass {
        var sockets: [UdpSocket] = []
        /// Consecutive passes in which each socket (same index) found nothing.
        var quiet: [Int] = []
        var task: RepeatedTask?
    }

    private let loop: EventLoop
    /// Owner loop only: the sockets of each interval (ms) and their timer.
    private let passes: NIOLoopBoundBox<[Int: Pass]>

    init(loop: EventLoop) {
        self.loop = loop
        self.passes = .makeBoxSendingValue([:], as: [Int: Pass].self, eventLoop: loop)
    }

    /// Owner loop, from the socket's read: stop listening for readiness and read it with the others every
    /// `sock.readIntervalMs`.
    func adopt(_ sock: UdpSocket) {
        let interval = sock.readIntervalMs
        guard interval > 0, sock.reading, (try? sock.channel.syncOptions?.setOption(.autoRead, value: false)) != nil else { return }
        sock.readMode = .batched
        var pass = passes.value[interval] ?? Pass()
        pass.sockets.append(sock)
        pass.quiet.append(0)
        if pass.task == nil {
            pass.task = loop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(interval)), delay: .milliseconds(Int64(interval))) {
                [weak self] _ in self?.read(interval)
            }
        }
        passes.value[interval] = pass
    }

    /// Owner loop. One pass over the sockets of `interval`; a socket closed since leaves.
    private func read(_ interval: Int) {
        guard var pass = passes.value[interval] else { return }
        // Taken out while the callbacks run: a plugin that closes or opens sockets from on_datagram must not
        // see the pass half-updated.
        passes.value[interval] = Pass(task: pass.task)
        let quietPasses = max(1, Self.quietMs / interval)
        var kept = Pass(task: pass.task)
        for (i, sock) in pass.sockets.enumerated() {
            guard sock.reading else { sock.readMode = .onReadiness; continue }
            let outcome = UdpBatchRead.drain(sock)
            let quiet = outcome.delivered == 0 ? pass.quiet[i] + 1 : 0
            if outcome.moreWaiting || quiet >= quietPasses {
                resume(sock)
            } else if sock.reading {
                kept.sockets.append(sock)
                kept.quiet.append(quiet)
            } else {
                sock.readMode = .onReadiness
            }
        }
        // Sockets adopted during the callbacks joined the placeholder pass.
        if let added = passes.value[interval] {
            kept.sockets += added.sockets
            kept.quiet += added.quiet
        }
        pass = kept
        if pass.sockets.isEmpty {
            pass.task?.cancel()
            passes.value[interval] = nil
        } else {
            passes.value[interval] = pass
        }
    }

    /// Owner loop. Back to NIO's reads on readiness (level-triggered: a datagram already waiting wakes the loop).
    private func resume(_ sock: UdpSocket) {
        sock.readMode = .onReadiness
        _ = try? sock.channel.syncOptions?.setOption(.autoRead, value: true)
    }

    /// Owner loop. Sockets read on the timer now (tests).
    var batchedSockets: Int { passes.value.values.reduce(0) { $0 + $1.sockets.count } }
}
