import MediaFormats
import MpegTS
import MRPluginKit
import PluginABI

/// The tracks of a demuxed transport stream on a bus source, shared by the pulls (HLS segments, TS or
/// fMP4, and HTTP-TS): bus slots in the order the first PMT listed the codecs, configs learned in-band (SPS/PPS,
/// ADTS) pushed as track updates, picture sizes read from the parameter sets, and per track the
/// non-decreasing DTS the bus needs.
public final class TsTrackSink {
    /// A demuxed frame on its way to a slot, as the pulls hold them (pacing, reordering).
    public struct Frame {
        public let slot: Int
        /// Video only: every audio frame is a sync point anyway.
        public let key: Bool
        public let pts: Int64
        public let dts: Int64
        public let data: [UInt8]

        public init(slot: Int, key: Bool, pts: Int64, dts: Int64, data: [UInt8]) {
            (self.slot, self.key, self.pts, self.dts, self.data) = (slot, key, pts, dts, data)
        }

        /// The same frame `us` later (a timeline rebase).
        public func shifted(_ us: Int64) -> Frame { Frame(slot: slot, key: key, pts: pts + us, dts: dts + us, data: data) }
    }

    private let host: PluginHost
    private let sink: SourceTracks
    private let label: String
    private var slots: [Codec: Int] = [:]
    private var warnedTracks: Set<Codec> = []
    private var lastDts: [Int: Int64] = [:]
    public private(set) var framesOut = 0

    public init(host: PluginHost, source: OpaquePointer, label: String) {
        self.host = host
        self.sink = SourceTracks(host: host, source: source)
        self.label = label
    }

    /// Codecs of the bus tracks, for the log.
    public var codecs: String { slots.sorted { $0.value < $1.value }.map(\.key.rawValue).joined(separator: "+") }
    public var slotCount: Int { slots.count }

    /// Slots come from the first tracks seen; later calls only bring new configs for the same codecs: the
    /// bus's track set is fixed once declared.
    public func declare(_ tracks: [TsTrack]) {
        if slots.isEmpty {
            for t in tracks where slots[t.codec] == nil {
                let slot = slots.count
                slots[t.codec] = slot
                sink.expect(slot)
            }
        }
        for t in tracks {
            guard let slot = slots[t.codec] else {
                if warnedTracks.insert(t.codec).inserted {
                    host.log(MR_LOG_WARNING, "\(label): a \(t.codec.rawValue) track appeared after the start; it is not pulled")
                }
                continue
            }
            if !t.config.isEmpty || !t.codec.needsConfig { sink.set(slot, Self.sized(t)) }
        }
    }

    /// The track with its picture size read from its parameter sets.
    private static func sized(_ t: TsTrack) -> MediaTrack {
        var track = t
        if t.codec == .h264, let sps = AVCDecoderConfig(t.config[...])?.parsedSPS {
            (track.width, track.height) = (sps.width, sps.height)
        } else if t.codec == .h265, let d = HEVCDecoderConfig(t.config[...])?.dimensions {
            (track.width, track.height) = (d.width, d.height)
        }
        return track
    }

    public func write(_ f: Frame) {
        // Per track the bus needs non-decreasing DTS, even where a rebase or a muxer's rounding overlaps.
        var dts = f.dts
        if let last = lastDts[f.slot], dts <= last { dts = last + 1 }
        lastDts[f.slot] = dts
        sink.write(f.slot, flags: f.key ? UInt32(MR_FRAME_KEY) : 0, pts: max(f.pts, dts), dts: dts, f.data)
        framesOut += 1
    }

    /// The frame of a demuxed TS frame, nil when its track has no slot (it appeared after the start).
    public func frame(_ f: TsFrame, of tracks: [TsTrack]) -> Frame? {
        frame(track: f.track, of: tracks, key: f.key, pts: f.pts, dts: f.dts, data: f.data)
    }

    /// The frame of track `track` of `tracks` (as declared), nil when that track has no slot.
    public func frame(track: Int, of tracks: [MediaTrack], key: Bool, pts: Int64, dts: Int64, data: [UInt8]) -> Frame? {
        guard track >= 0, track < tracks.count, let slot = slots[tracks[track].codec] else { return nil }
        return Frame(slot: slot, key: key && tracks[track].codec.isVideo, pts: pts, dts: dts, data: data)
    }
}

private extension Codec {
    /// H.264, H.265 and AAC are declared only with their config (SourceTracks waits for it).
    var needsConfig: Bool { self == .h264 || self == .h265 || self == .aac }
}
