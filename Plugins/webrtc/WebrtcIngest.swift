import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats
import WebRtcProtocol

/// A WHIP publisher's decrypted RTP into a bus source: per negotiated section a jitter buffer and a
/// depacketizer; H.264/H.265 parameter sets seen in band become the track's config (a VP8 key frame gives its size), and frames are held by
/// SourceTracks until the video track has one. Where the offer allowed it, lost packets are asked for again
/// (generic NACK; answered on the RTX stream when RTX was negotiated, else as plain retransmissions), and
/// receiver reports tell the publisher what arrived.
final class WebrtcIngest {
    private struct Track {
        let slot: Int
        let codec: Codec
        let clock: RtpClock
        var depacketizer: any RtpDepacketizer
        /// With NACK it waits long enough for a few round trips: retransmissions arrive behind newer packets.
        var jitter: RtpJitterBuffer
        /// Nil when the offer did not take NACK for this section, or `[webrtc] nack` is off.
        var nack: RtpNackTracker?
        var stats: RtpReceptionStatistics
        var ssrc: UInt32?
        /// The publisher's last sender report: NTP middle 32 bits and when it came, for LSR/DLSR.
        var lastSenderReport: (ntp: UInt32, atUs: Int64)?
        var unwrapper = RtpTimestampUnwrapper()
        var firstTicks: Int64?
        var baseUs: Int64 = 0
        var dts = DtsEstimator()
        /// In-band parameter sets by NAL unit type (H.264 SPS 7, PPS 8; H.265 VPS 32, SPS 33, PPS 34).
        var parameterSets: [UInt8: [UInt8]] = [:]
    }

    private let host: PluginHost
    private let sink: SourceTracks
    private let startUs: Int64
    /// Payload type -> track.
    private var tracks: [UInt8: Track] = [:]
    /// RTX payload type -> the payload type it repairs (RFC 4588 `apt`).
    private var rtxPayloadTypes: [UInt8: UInt8] = [:]
    private let reporterSsrc = UInt32.random(in: 1...UInt32.max - 1)
    private(set) var packetsIn = 0
    private(set) var lost = 0
    /// Gaps in video: each costs a frame (and the pictures that refer to it until the next keyframe).
    private(set) var videoLost = 0
    private(set) var retransmissionsIn = 0
    /// Set once a video keyframe arrived; until then the session asks the publisher for one (PLI).
    private(set) var hasKeyframe = false
    let hasVideo: Bool

    init?(host: PluginHost, source: OpaquePointer, media: [NegotiatedMedia], nack: Bool) {
        self.host = host
        sink = SourceTracks(host: host, source: source)
        startUs = host.table.now_us()
        for (slot, n) in media.enumerated() {
            let codec: Codec
            switch n.codec.encoding.lowercased() {
            case "h264": codec = .h264
            case "h265": codec = .h265
            case "vp8": codec = .vp8
            case "vp9": codec = .vp9
            case "av1": codec = .av1
            case "opus": codec = .opus
            case "pcma": codec = .pcma
            case "pcmu": codec = .pcmu
            default: continue
            }
            let rate = Int(n.codec.clockRate)
            guard let clock = RtpClock(rate: rate),
                  let d = RtpDepacketizers.make(codec: codec, clockRate: rate, channels: Int(max(1, n.codec.channels ?? 1))) else { continue }
            let asks = nack && n.nack
            tracks[n.payloadType] = Track(slot: slot, codec: codec, clock: clock, depacketizer: d,
                                          jitter: RtpJitterBuffer(capacity: 512, maxDelayPackets: asks ? 128 : 64),
                                          nack: asks ? RtpNackTracker() : nil, stats: RtpReceptionStatistics(clock: clock),
                                          ssrc: n.remoteSsrcs.first)
            if let rtx = n.rtxPayloadType { rtxPayloadTypes[rtx] = n.payloadType }
        }
        guard !tracks.isEmpty else { return nil }
        hasVideo = tracks.values.contains { $0.codec.isVideo }
        for t in tracks.values { sink.expect(t.slot) }
        // VP9 and AV1 need no config to be declared (the size is in each key frame or sequence header).
        for t in tracks.values where t.codec == .vp9 || t.codec == .av1 { sink.set(t.slot, MediaTrack(codec: t.codec)) }
        for t in tracks.values where !t.codec.isVideo {
            sink.set(t.slot, MediaTrack(codec: t.codec, sampleRate: t.codec == .opus ? 48_000 : t.clock.rate,
                                        channels: t.codec == .opus ? 2 : 1))
        }
    }

    /// One decrypted RTP packet.
    func rtp(_ bytes: ArraySlice<UInt8>, nowUs: Int64) {
        guard var packet = RtpPacket(bytes) else { return }
        if let repaired = rtxPayloadTypes[packet.payloadType] {
            // RFC 4588 4: the original sequence number leads the payload; an RTX packet with nothing after it
            // is the sender's bandwidth probe.
            guard packet.payload.count > 2, let original = tracks[repaired] else { return }
            let p = packet.payload
            packet = RtpPacket(marker: packet.marker, payloadType: repaired, sequence: UInt16(p[p.startIndex]) << 8 | UInt16(p[p.startIndex + 1]),
                               timestamp: packet.timestamp, ssrc: original.ssrc ?? packet.ssrc, payload: p.dropFirst(2))
            retransmissionsIn += 1
            tracks[repaired]?.nack?.received(sequence: packet.sequence, nowUs: nowUs)
        } else {
            guard tracks[packet.payloadType] != nil else { return }
            tracks[packet.payloadType]?.ssrc = packet.ssrc
            tracks[packet.payloadType]?.stats.record(sequence: packet.sequence, timestamp: packet.timestamp, arrivalMicroseconds: nowUs)
            tracks[packet.payloadType]?.nack?.received(sequence: packet.sequence, nowUs: nowUs)
        }
        guard var t = tracks[packet.payloadType] else { return }
        packetsIn += 1
        t.jitter.push(packet)
        while let (p, gap) = t.jitter.pop() {
            if gap {
                lost += 1
                if t.codec.isVideo { videoLost += 1 }
                t.depacketizer.lost()
            }
            for u in t.depacketizer.push(p) { write(&t, u) }
            for nal in t.depacketizer.takeParameterSets() { learned(&t, nal) }
        }
        tracks[packet.payloadType] = t
    }

    /// The publisher's sender report for one of its SSRCs.
    func senderReport(ssrc: UInt32, ntpMiddle: UInt32, nowUs: Int64) {
        for (pt, t) in tracks where t.ssrc == ssrc { tracks[pt]?.lastSenderReport = (ntpMiddle, nowUs) }
    }

    /// NACKs due now, one per SSRC, each behind an empty receiver report (a compound packet, RFC 3550 6.1).
    func nacks(nowUs: Int64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for pt in tracks.keys {
            guard let ssrc = tracks[pt]?.ssrc, let lost = tracks[pt]?.nack?.due(nowUs: nowUs), !lost.isEmpty else { continue }
            out.append(RtcpReceiverReport(ssrc: reporterSsrc, reports: []).encode()
                       + RtcpNack(senderSsrc: reporterSsrc, mediaSsrc: ssrc, lost: lost).encode())
        }
        return out
    }

    /// A receiver report (RFC 3550 6.4.2) with a block per SSRC heard from, or nil before any packet.
    func receiverReport(nowUs: Int64) -> [UInt8]? {
        var blocks: [RtcpReportBlock] = []
        for pt in tracks.keys.sorted() {
            guard let t = tracks[pt], let ssrc = t.ssrc, t.stats.received > 0 else { continue }
            let lsr = t.lastSenderReport
            guard let block = tracks[pt]?.stats.reportBlock(ssrc: ssrc, lastSenderReport: lsr?.ntp ?? 0,
                                                            delaySinceLastSenderReport: lsr.map { RtcpReportBlock.delay(microseconds: nowUs - $0.atUs) } ?? 0)
            else { continue }
            blocks.append(block)
        }
        return blocks.isEmpty ? nil : RtcpReceiverReport(ssrc: reporterSsrc, reports: blocks).encode(cname: "mediarouter")
    }

    /// NACK counters for the session's end line and stats.
    var nackSummary: (requested: Int, recovered: Int, abandoned: Int) {
        tracks.values.reduce((0, 0, 0)) { a, t in
            (a.0 + (t.nack?.requested ?? 0), a.1 + (t.nack?.recovered ?? 0), a.2 + (t.nack?.abandoned ?? 0))
        }
    }

    private func write(_ t: inout Track, _ u: RtpAccessUnit) {
        let ticks = t.unwrapper.unwrap(u.timestamp)
        if t.firstTicks == nil {
            t.firstTicks = ticks
            // Tracks start on one clock at their arrival time, so audio and video stay in step.
            t.baseUs = host.table.now_us() - startUs + 200_000
        }
        let pts = t.baseUs + t.clock.microseconds(ticks: ticks - (t.firstTicks ?? ticks))
        let video = t.codec.isVideo
        if video, u.key { hasKeyframe = true }
        // VP8 has no config record: the first key frame's header gives the track its size.
        if t.codec == .vp8, u.key, let h = Vp8FrameHeader(u.data[...]), sink.track(t.slot)?.width != h.width || sink.track(t.slot)?.height != h.height {
            sink.set(t.slot, MediaTrack(codec: .vp8, width: h.width, height: h.height))
        }
        sink.write(t.slot, flags: u.key && video ? UInt32(MR_FRAME_KEY) : 0, pts: pts, dts: video ? t.dts.dts(pts: pts) : pts, u.data)
    }

    private func learned(_ t: inout Track, _ nal: [UInt8]) {
        guard let first = nal.first else { return }
        let config: [UInt8]?
        var size: (width: Int, height: Int)?
        switch t.codec {
        case .h264:
            let type = first & 0x1F
            guard type == 7 || type == 8 else { return }
            t.parameterSets[type] = nal
            guard let sps = t.parameterSets[7], let pps = t.parameterSets[8] else { return }
            config = AVCDecoderConfig(sps: [sps], pps: [pps]).encode()
            size = config.flatMap { AVCDecoderConfig($0[...])?.parsedSPS }.map { ($0.width, $0.height) }
        case .h265:
            let type = (first >> 1) & 0x3F
            guard (32...34).contains(type) else { return }
            t.parameterSets[type] = nal
            guard let vps = t.parameterSets[32], let sps = t.parameterSets[33], let pps = t.parameterSets[34],
                  let record = HEVCDecoderConfig(vps: vps, sps: sps, pps: pps) else { return }
            config = record.encode()
            size = record.dimensions
        default:
            return
        }
        guard let config, sink.track(t.slot)?.config != config else { return }
        sink.set(t.slot, MediaTrack(codec: t.codec, config: config, width: size?.width ?? 0, height: size?.height ?? 0))
    }
}
