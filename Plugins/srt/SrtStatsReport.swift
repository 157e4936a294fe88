import CSrt

/// One SRT connection's statistics as the session list shows them (getAllSession's `stats`, getMediaList's
/// `originStats`): names in the API's snake_case, counts since the connection began.
enum SrtStatsReport {
    static func live(_ p: SRT_TRACEBSTATS, retransmittedReceived: Int) -> [String: Any] {
        [
            "connected": true,
            "alive_ms": p.msTimeStamp,
            "rtt_ms": finite(p.msRTT),
            // The TSBPD delay agreed in the handshake: the larger of both sides' latency (SrtLatency).
            "latency_ms": max(p.msRcvTsbPdDelay, p.msSndTsbPdDelay),
            "bytes_received": p.byteRecvTotal, "bytes_sent": p.byteSentTotal,
            "packets_received": p.pktRecvTotal, "packets_sent": p.pktSentTotal,
            "packets_lost": Int(p.pktRcvLossTotal) + Int(p.pktSndLossTotal),
            "packets_retransmitted": Int(p.pktRetransTotal),
            "packets_retransmitted_received": retransmittedReceived,
            "packets_dropped": Int(p.pktRcvDropTotal) + Int(p.pktSndDropTotal),
            "recv_buffer_ms": Int(p.msRcvBuf), "recv_buffer_bytes": Int(p.byteRcvBuf),
            "send_buffer_ms": Int(p.msSndBuf), "send_buffer_bytes": Int(p.byteSndBuf),
            "recv_rate_mbps": finite(p.mbpsRecvRate), "send_rate_mbps": finite(p.mbpsSendRate),
            "bandwidth_mbps": finite(p.mbpsBandwidth), "flight_packets": Int(p.pktFlightSize),
        ]
    }

    /// A socket no longer connected (closing, broken): the sampler's last values.
    static func lastKnown(_ v: SrtSessionStats.Values) -> [String: Any] {
        [
            "connected": false, "rtt_ms": finite(v.rttMs), "recv_buffer_ms": v.recvBufferMs,
            "bytes_received": v.bytesIn, "bytes_sent": v.bytesOut, "packets_lost": v.lost,
            "packets_retransmitted": v.retransmitted, "packets_retransmitted_received": v.retransmittedReceived,
            "packets_dropped": v.dropped,
        ]
    }

    /// JSON has no NaN or infinity (a rate over an empty interval).
    private static func finite(_ d: Double) -> Double { d.isFinite ? d : 0 }
}
