import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats
import RtspProtocol

/// RTP of an announced (or pulled) session into a bus source: per track a depacketizer, over UDP a jitter
/// buffer in front of it, timestamps unwrapped and put on one microsecond clock, DTS estimated for video,
/// and parameter sets learned in-band pushed as track updates.
final class RtspIngest {
    private final class Track {
        let slot: Int
        let sdp: SdpTrack
        let codec: Codec
        var depacketizer: any RtpDepacketizer
        var jitter = RtpJitterBuffer()
        var unwrapper = RtpTimestampUnwrapper()
        var firstTicks: Int64?
        var lastTicks: Int64 = 0
        var baseUs: Int64 = 0
        var lastPts: Int64 = 0
        let clock: RtpClock
        var dts = DtsEstimator()
        var lastSequence: UInt16?
        var parameterSets: [UInt8: [UInt8]] = [:]   // NAL type -> latest unit
        var lost = 0
        var stats: RtpReceptionStatistics
        var senderSsrc: UInt32?
        /// The middle 32 bits of the last sender report's NTP time, and when it arrived (µs, monotonic).
        var lastSenderReport: (ntp: UInt32, atUs: Int64)?

        init(slot: Int, sdp: SdpTrack, codec: Codec, depacketizer: any RtpDepacketizer, clock: RtpClock) {
            self.clock = clock
            self.stats = RtpReceptionStatistics(clock: clock)
            self.slot = slot
            self.sdp = sdp
            self.codec = codec
            self.depacketizer = depacketizer
        }
    }

    private let host: PluginHost
    private let sink: SourceTracks
    /// The bus took the stream away from this publisher (close_stream, a takeover).
    var closedByBus: Bool { sink.closedByBus }
    private var tracks: [Track?]
    private let startUs: Int64
    private(set) var packetsIn = 0
    private(set) var dropped = 0
    private var warned = false
    private let label: String

    /// `tracks` in SDP order; unsupported ones (nil codec) are ignored.
    init(host: PluginHost, source: OpaquePointer, tracks sdp: [SdpTrack], label: String) {
        self.host = host
        self.label = label
        self.sink = SourceTracks(host: host, source: source)
        self.startUs = host.table.now_us()
        // Beyond 8 tracks an SDP is not a camera or an encoder; each track may buffer megabytes.
        self.tracks = sdp.prefix(Self.maxTracks).enumerated().map { i, t -> Track? in
            guard let codec = t.codec, t.clockRate >= 1000, let clock = RtpClock(rate: t.clockRate),
                  let d = RtpDepacketizers.make(codec: codec, clockRate: t.clockRate, channels: max(1, t.channels),
                                                latmStreamMuxConfig: t.latmConfig) else { return nil }
            return Track(slot: i, sdp: t, codec: codec, depacketizer: d, clock: clock)
        }
        if sdp.count > Self.maxTracks { host.log(MR_LOG_WARNING, "\(label): only the first \(Self.maxTracks) of \(sdp.count) tracks are taken") }
        // Every slot is expected before any is set, so the bus gets all tracks at once.
        for t in tracks.compactMap({ $0 }) { sink.expect(t.slot) }
        for t in tracks.compactMap({ $0 }) {
            sink.set(t.slot, Self.describe(t.codec, sdp: t.sdp, config: Self.initialConfig(t)))
        }
    }

    static let maxTracks = 8

    var hasTracks: Bool { tracks.contains { $0 != nil } }

    /// The config the SDP gave, or for MP4A-LATM the AudioSpecificConfig inside its StreamMuxConfig.
    private static func initialConfig(_ t: Track) -> [UInt8] {
        if t.codec == .aac, t.sdp.config.isEmpty, let latm = t.sdp.latmConfig, let c = LatmStreamMuxConfig(latm) {
            return c.audioSpecificConfig.bytes
        }
        return t.sdp.config
    }

    private static func describe(_ codec: Codec, sdp: SdpTrack, config: [UInt8]) -> SourceTracks.Track {
        var rate = sdp.clockRate, channels = max(1, sdp.channels), width = 0, height = 0
        switch codec {
        case .h264:
            if let sps = AVCDecoderConfig(config[...])?.parsedSPS { width = sps.width; height = sps.height }
        case .h265:
            if let d = HEVCDecoderConfig(config[...])?.dimensions { width = d.width; height = d.height }
        case .aac:
            if let asc = AudioSpecificConfig(config[...]) { rate = asc.sampleRate; channels = asc.channels }
        case .opus:
            rate = 48000
        default:
            break
        }
        return MediaTrack(codec: codec, config: config, width: width, height: height, sampleRate: codec.isVideo ? 0 : rate,
                          channels: codec.isVideo ? 0 : channels)
    }

    /// One RTP packet of track `slot`. `reorder`: UDP input goes through the jitter buffer.
    func rtp(slot: Int, _ bytes: ArraySlice<UInt8>, reorder: Bool) {
        guard slot >= 0, slot < tracks.count, let t = tracks[slot] else { return }
        guard let packet = RtpPacket(bytes) else {
            dropped += 1
            if !warned { warned = true; host.log(MR_LOG_WARNING, "\(label): malformed RTP packet dropped (later ones are counted only)") }
            return
        }
        packetsIn += 1
        t.senderSsrc = packet.ssrc
        t.stats.record(sequence: packet.sequence, timestamp: packet.timestamp, arrivalMicroseconds: host.table.now_us())
        if reorder {
            t.jitter.push(packet)
            while let (p, gap) = t.jitter.pop() {
                if gap { t.depacketizer.lost() }
                depacketized(t, p)
            }
        } else {
            if let last = t.lastSequence, packet.sequence != last &+ 1 {
                t.lost += 1
                t.depacketizer.lost()
            }
            t.lastSequence = packet.sequence
            depacketized(t, packet)
        }
    }

    private func depacketized(_ t: Track, _ packet: RtpPacket) {
        let units = t.depacketizer.push(packet)
        let sets = t.depacketizer.takeParameterSets()
        if !sets.isEmpty { learned(t, sets) }
        for u in units {
            let ticks = t.unwrapper.unwrap(u.timestamp)
            if t.firstTicks == nil {
                t.firstTicks = ticks
                // Tracks start on one clock at their arrival time, so audio and video stay in step.
                t.baseUs = host.table.now_us() - startUs + 200_000
            } else if abs(t.clock.microseconds(ticks: ticks &- t.lastTicks)) > 10_000_000 {
                // A jump of more than 10 s is a restarted or broken sender clock: continue from where we were.
                t.baseUs = t.lastPts + 40_000
                t.firstTicks = ticks
                t.dts.reset()
            }
            t.lastTicks = ticks
            let pts = t.baseUs + t.clock.microseconds(ticks: ticks - (t.firstTicks ?? ticks))
            t.lastPts = pts
            let video = t.codec.isVideo
            let dts = video ? t.dts.dts(pts: pts) : pts
            sink.write(t.slot, flags: u.key && video ? UInt32(MR_FRAME_KEY) : 0, pts: pts, dts: dts, u.data)
        }
    }

    /// Parameter sets seen in-band: a new config for the track when they differ from the current one.
    private func learned(_ t: Track, _ sets: [[UInt8]]) {
        for nal in sets {
            guard let first = nal.first else { continue }
            let type = t.codec == .h265 ? (first >> 1) & 0x3F : first & 0x1F
            t.parameterSets[type] = nal
        }
        var config: [UInt8]?
        if t.codec == .h264, let sps = t.parameterSets[7], let pps = t.parameterSets[8] {
            config = AVCDecoderConfig(sps: [sps], pps: [pps]).encode()
        } else if t.codec == .h265, let vps = t.parameterSets[32], let sps = t.parameterSets[33], let pps = t.parameterSets[34] {
            config = HEVCDecoderConfig(vps: vps, sps: sps, pps: pps)?.encode()
        }
        guard let config, sink.track(t.slot)?.config != config else { return }
        sink.set(t.slot, Self.describe(t.codec, sdp: t.sdp, config: config))
    }

    /// RTCP from the sender of track `slot`: its sender reports are what receiver reports answer to.
    func rtcp(slot: Int, _ bytes: ArraySlice<UInt8>) {
        guard slot >= 0, slot < tracks.count, let t = tracks[slot] else { return }
        for case .senderReport(let sr) in RtcpPacket.parseCompound(bytes) {
            t.lastSenderReport = (sr.ntpTime.middle32, host.table.now_us())
        }
    }

    /// A receiver report (RFC 3550 6.4.2) for every track that has received packets, to send to the publisher.
    func receiverReports() -> [(slot: Int, bytes: [UInt8])] {
        let now = host.table.now_us()
        return tracks.compactMap { t -> (Int, [UInt8])? in
            guard let t, let ssrc = t.senderSsrc else { return nil }
            let lsr = t.lastSenderReport
            let block = t.stats.reportBlock(ssrc: ssrc, lastSenderReport: lsr?.ntp ?? 0,
                                            delaySinceLastSenderReport: lsr.map { RtcpReportBlock.delay(microseconds: now - $0.atUs) } ?? 0)
            return (t.slot, RtcpReceiverReport(ssrc: Self.reporterSsrc, report: block).encode(cname: "MediaRouter"))
        }
    }

    /// A PLI (RFC 4585 6.3.1: payload-specific feedback, PT 206, FMT 1, no FCI) for every video track heard from.
    func pictureLossIndications() -> [(slot: Int, bytes: [UInt8])] {
        tracks.compactMap { t -> (Int, [UInt8])? in
            guard let t, t.codec.isVideo, let ssrc = t.senderSsrc else { return nil }
            let words = [Self.reporterSsrc, ssrc].flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
            return (t.slot, [0x81, 206, 0, 2] + words)
        }
    }

    private static let reporterSsrc = UInt32.random(in: 1...UInt32.max)

    /// For the log line at the end of a publish or pull.
    var summary: String {
        let t = tracks.compactMap { $0 }
        let lost = t.reduce(0) { $0 + $1.lost + $1.jitter.lost }
        let reordered = t.reduce(0) { $0 + $1.jitter.reordered }
        return "\(packetsIn) RTP packets, \(lost) lost, \(reordered) reordered, \(dropped) malformed"
    }

}
