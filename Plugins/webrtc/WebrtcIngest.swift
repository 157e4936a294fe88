import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats
import WebRtcProtocol

/// A WHIP publisher's decrypted RTP into a bus source: per negotiated section a jitter buffer and a
/// depacketizer; H.264 parameter sets seen in band become the track's config, and frames are held by
/// SourceTracks until the video track has one.
final class WebrtcIngest {
    private struct Track {
        let slot: Int
        let codec: Codec
        let clock: RtpClock
        var depacketizer: any RtpDepacketizer
        var jitter = RtpJitterBuffer(capacity: 256, maxDelayPackets: 64)
        var unwrapper = RtpTimestampUnwrapper()
        var firstTicks: Int64?
        var baseUs: Int64 = 0
        var dts = DtsEstimator()
        var sps: [UInt8]?
        var pps: [UInt8]?
    }

    private let host: PluginHost
    private let sink: SourceTracks
    private let startUs: Int64
    /// Payload type -> track.
    private var tracks: [UInt8: Track] = [:]
    private(set) var packetsIn = 0
    private(set) var lost = 0
    /// Set once a video keyframe arrived; until then the session asks the publisher for one (PLI).
    private(set) var hasKeyframe = false
    let hasVideo: Bool

    init?(host: PluginHost, source: OpaquePointer, media: [NegotiatedMedia]) {
        self.host = host
        sink = SourceTracks(host: host, source: source)
        startUs = host.table.now_us()
        for (slot, n) in media.enumerated() {
            let codec: Codec
            switch n.codec.encoding.lowercased() {
            case "h264": codec = .h264
            case "opus": codec = .opus
            case "pcma": codec = .pcma
            case "pcmu": codec = .pcmu
            default: continue
            }
            let rate = Int(n.codec.clockRate)
            guard let clock = RtpClock(rate: rate),
                  let d = RtpDepacketizers.make(codec: codec, clockRate: rate, channels: Int(max(1, n.codec.channels ?? 1))) else { continue }
            tracks[n.payloadType] = Track(slot: slot, codec: codec, clock: clock, depacketizer: d)
        }
        guard !tracks.isEmpty else { return nil }
        hasVideo = tracks.values.contains { $0.codec.isVideo }
        for t in tracks.values { sink.expect(t.slot) }
        for t in tracks.values where !t.codec.isVideo {
            sink.set(t.slot, MediaTrack(codec: t.codec, sampleRate: t.codec == .opus ? 48_000 : t.clock.rate,
                                        channels: t.codec == .opus ? 2 : 1))
        }
    }

    /// One decrypted RTP packet.
    func rtp(_ bytes: ArraySlice<UInt8>) {
        guard let packet = RtpPacket(bytes), var t = tracks[packet.payloadType] else { return }
        packetsIn += 1
        t.jitter.push(packet)
        while let (p, gap) = t.jitter.pop() {
            if gap {
                lost += 1
                t.depacketizer.lost()
            }
            for u in t.depacketizer.push(p) { write(&t, u) }
            for nal in t.depacketizer.takeParameterSets() { learned(&t, nal) }
        }
        tracks[packet.payloadType] = t
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
        sink.write(t.slot, flags: u.key && video ? UInt32(MR_FRAME_KEY) : 0, pts: pts, dts: video ? t.dts.dts(pts: pts) : pts, u.data)
    }

    private func learned(_ t: inout Track, _ nal: [UInt8]) {
        guard t.codec == .h264, let first = nal.first else { return }
        switch first & 0x1F {
        case 7: t.sps = nal
        case 8: t.pps = nal
        default: return
        }
        guard let sps = t.sps, let pps = t.pps else { return }
        let config = AVCDecoderConfig(sps: [sps], pps: [pps]).encode()
        guard sink.track(t.slot)?.config != config else { return }
        let parsed = AVCDecoderConfig(config[...])?.parsedSPS
        sink.set(t.slot, MediaTrack(codec: .h264, config: config, width: parsed?.width ?? 0, height: parsed?.height ?? 0))
    }
}
