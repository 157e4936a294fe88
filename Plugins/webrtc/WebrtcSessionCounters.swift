import RtpFormats

/// One session's numbers for the session list (`webrtc.session.list`): counted on the session's loop, and
/// copied for the API's thread (WebrtcSession.publishCounters) every half second and when the state changes.
struct WebrtcSessionCounters: Sendable {
    var state = "authorizing"
    var srtpProfile = ""
    /// The media peer once an ICE check selected it, before that the HTTP client's address.
    var peer = ""
    var datagramsIn = 0
    var bytesIn = 0
    var datagramsOut = 0
    var bytesOut = 0
    /// Player: NACK packets from the client, packets they asked for, packets resent.
    var nacksIn = 0
    var nackedPackets = 0
    var retransmitted = 0
    var bframesDropped = 0
    /// Player: PLI/FIR from the client; publisher: PLIs sent to it.
    var pliIn = 0
    var pliOut = 0
    /// Player: round trip from its receiver reports (RFC 3550 6.4.1), nil until one refers to our report.
    var rttMs: Double?
    /// Publisher: from its ingest.
    var rtpIn = 0
    var lost = 0
    var nacksOut = 0
    var recovered = 0
    var rtxIn = 0

    mutating func received(_ bytes: Int) {
        datagramsIn += 1
        bytesIn += bytes
    }

    mutating func sent(_ bytes: Int) {
        datagramsOut += 1
        bytesOut += bytes
    }

    mutating func nackAnswered(asked: Int, resent: Int) {
        nacksIn += 1
        nackedPackets += asked
        retransmitted += resent
    }

    /// RTT from a report block about one of our streams: now minus LSR minus DLSR, in 1/65536 s.
    mutating func receiverReport(_ block: RtcpReportBlock, nowUs: Int64) {
        guard block.lastSenderReport != 0 else { return }
        let now = NtpTime(unixMicroseconds: nowUs).middle32
        let rtt = now &- block.lastSenderReport &- block.delaySinceLastSenderReport
        // A clock step or a bogus block gives a wrapped value: keep only a plausible round trip (< 60 s).
        guard rtt < 60 * 65_536 else { return }
        rttMs = (Double(rtt) * 1000 / 65_536 * 10).rounded() / 10
    }

    func report(publishing: Bool) -> [String: Any] {
        var r: [String: Any] = ["state": state, "srtp_profile": srtpProfile, "datagrams_in": datagramsIn, "bytes_in": bytesIn,
                                "datagrams_out": datagramsOut, "bytes_out": bytesOut]
        if publishing {
            r.merge(["rtp_packets_in": rtpIn, "lost": lost, "nack_sent": nacksOut, "nack_recovered": recovered,
                     "rtx_received": rtxIn, "pli_sent": pliOut]) { $1 }
        } else {
            r.merge(["nack_received": nacksIn, "nack_requested": nackedPackets, "retransmitted": retransmitted,
                     "bframes_dropped": bframesDropped, "pli_received": pliIn]) { $1 }
        }
        if let rttMs { r["rtt_ms"] = rttMs }
        return r
    }
}
