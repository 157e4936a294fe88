import MediaFormats
import RtpFormats
import WebRtcProtocol

/// One source track sent to a player: the negotiated payload type and our SSRC, the packetizer, the
/// retransmission history and what the sender report needs.
struct WebrtcOutTrack {
    let codec: Codec
    let clock: RtpClock
    var packetizer: any RtpPacketizer
    /// SPS/PPS from the track's extradata, put in front of a keyframe that lacks them (RTMP sends them out of band).
    let parameterSets: [[UInt8]]
    var history: WebrtcSendHistory
    var packets: UInt32 = 0
    var octets: UInt32 = 0
    var lastTimestamp: UInt32 = 0
    var lastSentUs: Int64 = 0

    var ssrc: UInt32 { packetizer.ssrc }

    /// The access unit as sent: with the parameter sets in band before a keyframe that has none.
    func accessUnit(_ data: UnsafeRawBufferPointer, key: Bool) -> [UInt8] {
        guard codec == .h264, key, !parameterSets.isEmpty, !Self.hasSps(data) else { return Array(data) }
        var au = NalUnits.lengthPrefixed(parameterSets.map { $0[...] })
        au.append(contentsOf: data)
        return au
    }

    static func hasSps(_ data: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i + 5 <= data.count {
            let len = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            if data[i + 4] & 0x1F == 7 { return true }
            i += 4 + len
        }
        return false
    }

    /// RTCP sender report for now: the RTP time advanced from the last packet's by the wall time since.
    func senderReport(nowUs: Int64, cname: String) -> [UInt8] {
        let elapsed = clock.ticks(microseconds: max(0, nowUs - lastSentUs))
        let report = RtcpSenderReport(ssrc: ssrc, ntpTime: NtpTime(unixMicroseconds: nowUs), rtpTime: lastTimestamp &+ UInt32(truncatingIfNeeded: elapsed),
                                      packetCount: packets, octetCount: octets)
        return report.encode(cname: cname)
    }
}
