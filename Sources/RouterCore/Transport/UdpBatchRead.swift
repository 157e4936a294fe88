#if canImport(Glibc)
import Glibc
#endif
import CSocketShims

/// Reads a UDP socket's waiting datagrams with recvmmsg, after NIO has read the first one of a wakeup (NIO reads
/// one datagram per recvmsg, through its pipeline, and ends each wakeup with a recvmsg that finds nothing).
/// The datagrams land in the loop thread's receive area (mr_shim_recvmmsg), not in buffers of the socket's own:
/// the plugin copies what it keeps inside on_datagram, so the area is free again before the next call, and a
/// socket costs no memory for it (NIO's own vector reads give each socket slots for 64 KB datagrams, which
/// stayed resident: twice the memory per GB28181 camera).
enum UdpBatchRead {
    /// recvmmsg calls per wakeup at most, so one busy socket cannot hold its loop; the epoll readiness is
    /// level-triggered, so what is left is read at the loop's next turn.
    static let maxCalls = 4
    /// Datagrams one call takes at most.
    static let slots = Int(MR_SHIM_RECV_SLOTS)

    /// Receive areas allocated in the process and not yet freed: one per loop thread that read, none per socket.
    static var receiveAreas: Int { Int(mr_shim_recv_areas()) }

    /// What one drain found.
    struct Outcome {
        var delivered = 0
        /// It stopped after `maxCalls` full batches: more may be waiting.
        var moreWaiting = false
    }

    /// Owner loop, inside the channel's read or a UdpReadBatcher pass. Delivers each datagram in arrival order
    /// with its sender's address until the socket has no more, closes, or `maxCalls` are spent.
    @discardableResult
    static func drain(_ sock: UdpSocket) -> Outcome {
        var outcome = Outcome()
        for _ in 0..<maxCalls {
            guard sock.reading else { return outcome }
            var received: UnsafePointer<mr_shim_received>?
            let n = Int(mr_shim_recvmmsg(sock.descriptor, &received))
            guard n > 0, let received else {
                // ICMP's refusal of an earlier send is reported once and consumed; anything else (EAGAIN above
                // all) ends this wakeup's reading, and a datagram still waiting wakes the loop again.
                if n < 0, errno == ECONNREFUSED || errno == EINTR { continue }
                return outcome
            }
            for i in 0..<n {
                // The plugin may close the socket from a callback: its descriptor must not be read again.
                guard sock.reading else { return outcome }
                let d = received[i]
                sock.batchedDatagrams += 1
                outcome.delivered += 1
                sock.onDatagram(sock.user, sock.handle, d.bytes, d.len, d.name, d.name_len)
            }
            if n < slots { return outcome }
        }
        outcome.moreWaiting = true
        return outcome
    }
}
