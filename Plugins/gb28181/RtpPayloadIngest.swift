import BusMedia
import MediaFormats
import MpegPS
import MpegTS
import MRPluginKit
import PluginABI
import RtpFormats

/// RTP payloads of one GB28181 stream into its bus source: PS (PT 96 and any PT not listed as ES), TS
/// (PT 33, or payloads of whole 0x47-led 188-byte packets) or ES (PT 98 H.264, 99 H.265, 0 PCMU, 8 PCMA).
/// The bus's track set is fixed once declared, and an ES device's audio and video come as separate RTP
/// streams, either first: frames are held until a track of each kind was seen, or for `settleUs`.
/// Confined to the server's loop.
final class RtpPayloadIngest {
    enum OnlyTrack: Int { case both = 0, audio = 1, video = 2 }

    private let host: PluginHost
    private let sink: TsTrackSink
    private let label: String
    private let only: OnlyTrack
    private var ps = PsDemuxer()
    private var ts = TsDemuxer()
    private var es: [UInt8: EsTrack] = [:]
    private var declared: [MediaTrack] = []
    /// Frames held until the track set settles, and when it settles at the latest (µs, from the first frame).
    private var held: [(Int, Bool, Int64, Int64, [UInt8])] = []
    private var settleAtUs: Int64?
    static let settleUs: Int64 = 1_000_000
    static let maxHeld = 500
    /// ES: the arrival time of the first packet (µs), each track's timeline starting at its own first packet's.
    private var firstArrivalUs: Int64?
    private var loggedErrors = 0
    private(set) var frames = 0

    private final class EsTrack {
        var depacketizer: any RtpDepacketizer
        var track: MediaTrack
        var unwrapper = RtpTimestampUnwrapper()
        /// The first packet's unwrapped timestamp and its arrival after the stream's first (µs).
        var origin: (ticks: Int64, us: Int64)?
        var sets: [UInt8: [UInt8]] = [:]
        let index: Int
        init(_ d: any RtpDepacketizer, _ t: MediaTrack, index: Int) { depacketizer = d; track = t; self.index = index }
    }

    init(host: PluginHost, source: OpaquePointer, label: String, only: OnlyTrack) {
        self.host = host
        self.label = label
        self.only = only
        sink = TsTrackSink(host: host, source: source, label: label)
    }

    /// `gapBefore`: packets before this one were lost; what was being assembled is dropped.
    func packet(_ p: RtpPacket, gapBefore: Bool) {
        if let codec = GbElementaryPayloadTypes.codec(p.payloadType) {
            if gapBefore { es[p.payloadType]?.depacketizer.lost() }
            return elementary(p, codec)
        }
        if p.payloadType == 33 || (p.payload.first == 0x47 && p.payload.count % 188 == 0) {
            let out = ts.push(p.payload)
            guard !out.isEmpty || !held.isEmpty else { return }
            emit(ts.tracks, out.map { ($0.track, $0.key, $0.pts, $0.dts, $0.data) })
            return
        }
        // A frame ends at the marker, or where the next begins (found by the demuxer in the video itself: a
        // new RTP timestamp is no sign when, as from a PS file, packets are not aligned to frames).
        if gapBefore { ps.lost() }
        var out = ps.push(p.payload)
        if p.marker { out += ps.endOfFrame() }
        if ps.errors > loggedErrors {
            if loggedErrors == 0 { host.log(MR_LOG_WARNING, "\(label): \(ps.lastError ?? "PS error") (later errors are counted)") }
            loggedErrors = ps.errors
        }
        // Most packets complete no frame: the track list (sorted out of the demuxer) is only made for those that do.
        guard !out.isEmpty || !held.isEmpty else { return }
        emit(ps.tracks, out.map { ($0.track, $0.key, $0.pts, $0.dts, $0.data) })
    }

    private func elementary(_ p: RtpPacket, _ codec: Codec) {
        if es[p.payloadType] == nil {
            guard let d = RtpDepacketizers.make(codec: codec, clockRate: codec.isVideo ? 90000 : 8000, channels: 1) else { return }
            let t = codec.isVideo ? MediaTrack(codec: codec) : MediaTrack(codec: codec, sampleRate: 8000, channels: 1)
            es[p.payloadType] = EsTrack(d, t, index: es.count)
        }
        guard let t = es[p.payloadType] else { return }
        let units = t.depacketizer.push(p)
        for nal in t.depacketizer.takeParameterSets() {
            guard let first = nal.first else { continue }
            t.sets[codec == .h265 ? (first >> 1) & 0x3F : first & 0x1F] = nal
        }
        if codec == .h264, let sps = t.sets[7], let pps = t.sets[8] {
            t.track.config = AVCDecoderConfig(sps: [sps], pps: [pps]).encode()
        } else if codec == .h265, let v = t.sets[32], let s = t.sets[33], let pp = t.sets[34], let c = HEVCDecoderConfig(vps: v, sps: s, pps: pp)?.encode() {
            t.track.config = c
        }
        let tracks = es.values.sorted { $0.index < $1.index }.map(\.track)
        let rate: Int64 = codec.isVideo ? 90000 : 8000
        // Without RTCP sender reports the RTP clocks of audio and video are unrelated: each track starts at
        // the arrival of its first packet, on the stream's common timeline.
        let now = host.table.now_us()
        let first = firstArrivalUs ?? now
        firstArrivalUs = first
        emit(tracks, units.map { u in
            let ticks = t.unwrapper.unwrap(u.timestamp)
            let origin = t.origin ?? (ticks, now - first)
            t.origin = origin
            let us = (ticks - origin.ticks) * 1_000_000 / rate + origin.us
            return (t.index, u.key, us, us, u.data)
        })
    }

    private func emit(_ tracks: [MediaTrack], _ out: [(Int, Bool, Int64, Int64, [UInt8])]) {
        let wanted = tracks.filter { only == .both || ($0.codec.isVideo == (only == .video)) }
        guard settled(wanted, out) else { return }
        let out = held + out
        held = []
        if wanted != declared, !wanted.isEmpty {
            declared = wanted
            sink.declare(wanted)
        }
        for (track, key, pts, dts, data) in out {
            guard let f = sink.frame(track: track, of: tracks, key: key, pts: pts, dts: dts, data: data) else { continue }
            sink.write(f)
            frames += 1
        }
    }

    /// Whether the track set is final: a track of each wanted kind, or the wait over; else `out` is held.
    private func settled(_ wanted: [MediaTrack], _ out: [(Int, Bool, Int64, Int64, [UInt8])]) -> Bool {
        guard declared.isEmpty else { return true }
        let now = host.table.now_us()
        if !out.isEmpty, settleAtUs == nil { settleAtUs = now + Self.settleUs }
        let kinds = Set(wanted.map(\.codec.isVideo))
        if kinds.count == (only == .both ? 2 : 1) || held.count + out.count > Self.maxHeld || (settleAtUs.map { now >= $0 } ?? false) {
            return !wanted.isEmpty
        }
        held += out
        return false
    }

    var summary: String { "\(frames) frames (\(sink.codecs)), \(ps.errors) PS errors, \(ts.errors) TS errors" }
}
