import MediaFormats
import RtpFormats
import WebRtcProtocol

/// One source track sent to a player: the negotiated payload type and our SSRC, the packetizer, the
/// retransmission history and what the sender report needs.
struct WebrtcOutTrack {
    let codec: Codec
    let clock: RtpClock
    var packetizer: any RtpPacketizer
    /// SPS/PPS (H.265: with the VPS) from the track's extradata, put in front of a keyframe that lacks them (RTMP sends them out of band).
    let parameterSets: [[UInt8]]
    var history: WebrtcSendHistory
    /// Where NACKed packets go when the player negotiated RTX (RFC 4588); nil: resent as they were.
    var rtx: RtxStream?
    /// H.264 only, when `bframe_filter` is on: what keeps pictures in presentation order.
    var reorder: H264ReorderFilter?
    var packets: UInt32 = 0
    var octets: UInt32 = 0
    var lastTimestamp: UInt32 = 0
    var lastSentUs: Int64 = 0

    var ssrc: UInt32 { packetizer.ssrc }

    init(codec: Codec, clock: RtpClock, packetizer: any RtpPacketizer, parameterSets: [[UInt8]], history: WebrtcSendHistory, bframeFilter: Bool) {
        self.codec = codec
        self.clock = clock
        self.packetizer = packetizer
        self.history = history
        reorder = codec == .h264 && bframeFilter ? H264ReorderFilter() : nil
        self.parameterSets = reorder == nil ? parameterSets
            : parameterSets.map { NalUnits.h264Type($0[...]) == 7 ? H264SpsReorderRewrite.withoutReordering($0[...]) ?? $0 : $0 }
    }

    /// The access unit as sent: with the parameter sets in band before a keyframe that has none.
    /// With the B-frame filter, an in-band SPS is rewritten as the out-of-band ones were (see init).
    func accessUnit(_ data: UnsafeRawBufferPointer, key: Bool) -> [UInt8] {
        guard codec == .h264 || codec == .h265, key else { return Array(data) }
        guard !parameterSets.isEmpty, !Self.hasSps(data, codec: codec) else {
            return reorder == nil ? Array(data) : H264ReorderFilter.accessUnit(Array(data)[...])
        }
        var au = NalUnits.lengthPrefixed(parameterSets.map { $0[...] })
        au.append(contentsOf: data)
        return au
    }

    static func hasSps(_ data: UnsafeRawBufferPointer, codec: Codec) -> Bool {
        var i = 0
        while i + 5 <= data.count {
            let len = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            if codec == .h265 ? (data[i + 4] >> 1) & 0x3F == 33 : data[i + 4] & 0x1F == 7 { return true }
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
