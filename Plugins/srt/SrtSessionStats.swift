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
        var latencyMs = 0
        var sendBufferMs = 0
        var recvMbps = 0.0
        var sendMbps = 0.0
    }

    private let values = LockedValue(Values())

    var current: Values { values.withLock { $0 } }

    /// Any thread; calls are serialized by the lock so an interval is counted once. Returns the RTT once
    /// libsrt has measured it (its first second reports libsrt's initial guess, 100 ms).
    @discardableResult
    func sample(_ sock: SRTSOCKET, host: PluginHost) -> Double? {
        values.withLock { v in
            guard srt_getsockstate(sock) == SRTS_CONNECTED else { return nil }
            var perf = SRT_TRACEBSTATS()
            guard srt_bstats(sock, &perf, 1) == 0 else { return nil }
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
            v.latencyMs = Int(max(perf.msRcvTsbPdDelay, perf.msSndTsbPdDelay))
            v.sendBufferMs = Int(perf.msSndBuf)
            v.recvMbps = perf.mbpsRecvRate.isFinite ? perf.mbpsRecvRate : 0
            v.sendMbps = perf.mbpsSendRate.isFinite ? perf.mbpsSendRate : 0
            if perf.pktRecv > 0 { host.stat("packets_in", add: perf.pktRecv) }
            if perf.pktSent > 0 { host.stat("packets_out", add: perf.pktSent) }
            if lost > 0 { host.stat("packets_lost", add: Int64(lost)) }
            if perf.pktRetrans > 0 { host.stat("packets_retransmitted", add: Int64(perf.pktRetrans)) }
            if perf.pktRcvRetrans > 0 { host.stat("packets_retransmitted_received", add: Int64(perf.pktRcvRetrans)) }
            if dropped > 0 { host.stat("packets_dropped", add: Int64(dropped)) }
            if perf.byteRecv > 0 { host.stat("bytes_in", add: Int64(clamping: perf.byteRecv)) }
            if perf.byteSent > 0 { host.stat("bytes_out", add: Int64(clamping: perf.byteSent)) }
            return perf.msTimeStamp >= 1000 && perf.msRTT.isFinite ? perf.msRTT : nil
        }
    }

    /// [any thread] The connection's numbers now, for the session list: libsrt's totals and buffers read
    /// without clearing the interval the sampler counts (under the same lock, so neither counts twice).
    func report(_ sock: SRTSOCKET) -> [String: Any] {
        values.withLock { v in
            var perf = SRT_TRACEBSTATS()
            guard srt_getsockstate(sock) == SRTS_CONNECTED, srt_bistats(sock, &perf, 0, 1) == 0 else {
                return SrtStatsReport.lastKnown(v)
            }
            return SrtStatsReport.live(perf, retransmittedReceived: v.retransmittedReceived + Int(perf.pktRcvRetrans))
        }
    }

    var summary: String {
        let v = current
        return "rtt \(Int(v.rttMs)) ms, lost \(v.lost), retransmitted \(v.retransmitted), retransmitted received "
            + "\(v.retransmittedReceived), dropped \(v.dropped), \(v.bytesIn) bytes in, \(v.bytesOut) bytes out"
    }
}
