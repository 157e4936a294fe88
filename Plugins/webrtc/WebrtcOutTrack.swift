import MediaFormats
import RtpFormats
import WebRtcProtocol

/// One source track sent to a player: the negotiated payload type, our SSRC and our own sequence numbering
/// over the shared ring's packets, the retransmission history and what the sender report needs.
struct WebrtcOutTrack {
    let codec: Codec
    let clock: RtpClock
    let payloadType: UInt8
    let ssrc: UInt32
    /// The next sequence number: this player's own, continuous whatever the ring's packets were numbered, so a
    /// skip or a republished source shows the client no gap to NACK.
    var sequence: UInt16
    var history: WebrtcSendHistory
    /// Where NACKed packets go when the player negotiated RTX (RFC 4588); nil: resent as they were.
    var rtx: RtxStream?
    var packets: UInt32 = 0
    var octets: UInt32 = 0
    var lastTimestamp: UInt32 = 0
    var lastSentUs: Int64 = 0

    init(codec: Codec, clock: RtpClock, payloadType: UInt8, ssrc: UInt32, firstSequence: UInt16, history: WebrtcSendHistory) {
        self.codec = codec
        self.clock = clock
        self.payloadType = payloadType & 0x7F
        self.ssrc = ssrc
        sequence = firstSequence
        self.history = history
    }

    /// Copies one of the ring's packets into `out` as this player's: payload type (the marker bit kept), sequence
    /// number and SSRC rewritten; records it for retransmission. The packet is at least an RTP header (the
    /// ring's reader checked) and has no header extension to rewrite (the ring's packetizers add none).
    mutating func rewrite(_ packet: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: packet)
        out[1] = out[1] & 0x80 | payloadType
        out[2] = UInt8(truncatingIfNeeded: sequence >> 8)
        out[3] = UInt8(truncatingIfNeeded: sequence)
        out[8] = UInt8(truncatingIfNeeded: ssrc >> 24)
        out[9] = UInt8(truncatingIfNeeded: ssrc >> 16)
        out[10] = UInt8(truncatingIfNeeded: ssrc >> 8)
        out[11] = UInt8(truncatingIfNeeded: ssrc)
        history.record(sequence: sequence, packet: out)
        lastTimestamp = UInt32(out[4]) << 24 | UInt32(out[5]) << 16 | UInt32(out[6]) << 8 | UInt32(out[7])
        sequence &+= 1
        packets &+= 1
        octets &+= UInt32(truncatingIfNeeded: out.count - RtpPacket.headerSize)
    }

    /// RTCP sender report for now: the RTP time advanced from the last packet's by the wall time since.
    func senderReport(nowUs: Int64, cname: String) -> [UInt8] {
        let elapsed = clock.ticks(microseconds: max(0, nowUs - lastSentUs))
        let report = RtcpSenderReport(ssrc: ssrc, ntpTime: NtpTime(unixMicroseconds: nowUs), rtpTime: lastTimestamp &+ UInt32(truncatingIfNeeded: elapsed),
                                      packetCount: packets, octetCount: octets)
        return report.encode(cname: cname)
    }
}
