import CSrt
import MRPluginKit
import PluginABI

/// libsrt's statistics of one connection, sampled while it is connected (srt_bstats reads garbage from a
/// broken socket): the last interval's counts are added to the plugin's counters, RTT and receive buffer
/// kept as the session's latest values.
final class SrtSessionStats: @unchecked Sendable {
    struct Values {
        var rttMs = 0.0
        var recvBufferMs = 0
        var lost = 0
        var retransmitted = 0
        var retransmittedReceived = 0
        var dropped = 0
        var bytesIn: UInt64 = 0
        var bytesOut: UInt64 = 0
    }

    private let values = LockedValue(Values())

    var current: Values { values.withLock { $0 } }

    /// Any thread; calls are serialized by the lock so an interval is counted once.
    func sample(_ sock: SRTSOCKET, host: PluginHost) {
        values.withLock { v in
            guard srt_getsockstate(sock) == SRTS_CONNECTED else { return }
            var perf = SRT_TRACEBSTATS()
            guard srt_bstats(sock, &perf, 1) == 0 else { return }
            let lost = Int(perf.pktRcvLoss) + Int(perf.pktSndLoss)
            let dropped = Int(perf.pktRcvDrop) + Int(perf.pktSndDrop)
            v.rttMs = perf.msRTT
            v.recvBufferMs = Int(perf.msRcvBuf)
            v.lost += lost
            v.retransmitted += Int(perf.pktRetrans)
            v.retransmittedReceived += Int(perf.pktRcvRetrans)
            v.dropped += dropped
            v.bytesIn += perf.byteRecv
            v.bytesOut += perf.byteSent
            if lost > 0 { host.stat("packets_lost", add: Int64(lost)) }
            if perf.pktRetrans > 0 { host.stat("packets_retransmitted", add: Int64(perf.pktRetrans)) }
            if perf.pktRcvRetrans > 0 { host.stat("packets_retransmitted_received", add: Int64(perf.pktRcvRetrans)) }
            if dropped > 0 { host.stat("packets_dropped", add: Int64(dropped)) }
            if perf.byteRecv > 0 { host.stat("bytes_in", add: Int64(clamping: perf.byteRecv)) }
            if perf.byteSent > 0 { host.stat("bytes_out", add: Int64(clamping: perf.byteSent)) }
        }
    }

    var summary: String {
        let v = current
        return "rtt \(Int(v.rttMs)) ms, lost \(v.lost), retransmitted \(v.retransmitted), retransmitted received "
            + "\(v.retransmittedReceived), dropped \(v.dropped), \(v.bytesIn) bytes in, \(v.bytesOut) bytes out"
    }
}
