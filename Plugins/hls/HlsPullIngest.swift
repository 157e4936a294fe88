import BusMedia
import MediaFormats
import MP4Formats
import MpegTS
import MRPluginKit
import PluginABI

/// MPEG-TS or fMP4 segments of a pull onto the bus at real time. Segments arrive in bursts (a whole segment per
/// request, several at the start); their frames wait here and are written when their time comes, so
/// players see a live stream and not a fast-forward. Timestamps are put on one timeline that continues
/// across segments: a discontinuity, or a jump the playlist does not explain (a restarted encoder,
/// skipped segments), is rebased onto the end of the previous segment.
final class HlsPullIngest {
    private typealias Frame = TsTrackSink.Frame

    /// Segments waiting to be written; the session fetches no more while this many wait.
    static let maxQueuedSegments = 3
    /// All waiting frames together: with 32 MB segments, three of them are already plenty.
    static let maxQueuedBytes = 96 << 20
    /// More than this between where a segment starts and where the previous one ended is a jump to rebase.
    static let maxJumpUs: Int64 = 1_000_000

    private let host: PluginHost
    private let sink: TsTrackSink
    private let label: String
    private var queue: [[Frame]] = []
    private var cursor = 0
    private(set) var queuedBytes = 0
    /// Added to a segment's own timestamps; nil before the first segment.
    private var offsetUs: Int64?
    private var expectedNextUs: Int64 = 0
    /// Wall time and timeline position of the pacing anchor.
    private var anchor: (wallUs: Int64, dtsUs: Int64)?
    private(set) var segmentsIn = 0
    var framesOut: Int { sink.framesOut }
    private(set) var rebases = 0
    private(set) var demuxErrors = 0

    init(host: PluginHost, source: OpaquePointer, label: String) {
        self.host = host
        self.sink = TsTrackSink(host: host, source: source, label: label)
        self.label = label
    }

    var queuedSegments: Int { queue.count }
    var isEmpty: Bool { queue.isEmpty }

    /// Codecs of the bus tracks, for the log.
    var codecs: String { sink.codecs }

    /// Demuxes one MPEG-TS segment and queues its frames; returns how many frames it had. `discontinuity`:
    /// the playlist said so, or segments were skipped before it.
    @discardableResult
    func add(ts bytes: [UInt8], sequence: Int, durationS: Double, discontinuity: Bool) -> Int {
        var demuxer = TsDemuxer()
        var ts = demuxer.push(bytes[...])
        ts += demuxer.flush()
        demuxErrors += demuxer.errors
        segmentsIn += 1
        let tracks = demuxer.tracks
        sink.declare(tracks)
        var frames = ts.compactMap { sink.frame($0, of: tracks) }
        // TS muxers put audio in larger PES behind the video they precede, so mux order is not DTS order; the
        // bus wants frames in DTS order across tracks, as a player joining at a keyframe starts its clock
        // there and a frame from before it would be negative (RTMP's 32-bit time wraps).
        frames = frames.enumerated().sorted { ($0.element.dts, $0.offset) < ($1.element.dts, $1.offset) }.map(\.element)
        return enqueue(frames, sequence: sequence, durationS: durationS, discontinuity: discontinuity)
    }

    /// Reads one fMP4 segment with its init section and queues its frames (already in decode order).
    @discardableResult
    func add(fmp4 bytes: [UInt8], initSection: [UInt8], sequence: Int, durationS: Double, discontinuity: Bool) -> Int {
        segmentsIn += 1
        let demuxed: (tracks: [MediaTrack], frames: [Fmp4SegmentDemuxer.Frame])
        do {
            demuxed = try Fmp4SegmentDemuxer.demux(initSection: initSection, segment: bytes)
        } catch {
            demuxErrors += 1
            host.log(MR_LOG_WARNING, "\(label): segment \(sequence): \(error)")
            return 0
        }
        sink.declare(demuxed.tracks)
        let frames = demuxed.frames.compactMap {
            sink.frame(track: $0.track, of: demuxed.tracks, key: $0.key, pts: $0.pts, dts: $0.dts, data: $0.data)
        }
        return enqueue(frames, sequence: sequence, durationS: durationS, discontinuity: discontinuity)
    }

    /// Puts a segment's frames (in DTS order) on the continuous timeline and queues them.
    private func enqueue(_ frames: [Frame], sequence: Int, durationS: Double, discontinuity: Bool) -> Int {
        guard let start = frames.first?.dts, let end = frames.last?.dts else { return 0 }
        if let offset = offsetUs {
            let jump = start + offset - expectedNextUs
            if discontinuity || abs(jump) > Self.maxJumpUs {
                offsetUs = expectedNextUs - start
                rebases += 1
                host.log(MR_LOG_INFO, "\(label): segment \(sequence): \(discontinuity ? "discontinuity" : "timestamps jump \(jump / 1000) ms"); rebased to continue the stream")
            }
        } else {
            offsetUs = -start
        }
        let offset = offsetUs ?? 0
        // EXTINF says where the next segment starts; without it, one frame interval after the last.
        expectedNextUs = durationS > 0 ? start + offset + Int64(durationS * 1_000_000) : end + offset + 40_000
        queue.append(frames.map { $0.shifted(offset) })
        queuedBytes += frames.reduce(0) { $0 + $1.data.count }
        return frames.count
    }

    /// Writes the frames whose time has come. The first frame anchors the timeline to the wall clock; after
    /// an underrun (the network fell behind by more than a second) the anchor moves, so the frames that
    /// arrive late go out at real time again instead of in one burst.
    func drain(nowUs: Int64) {
        while cursor < (queue.first?.count ?? 0), let segment = queue.first {
            let f = segment[cursor]
            let a = anchor ?? (nowUs, f.dts)
            let due = a.wallUs + (f.dts - a.dtsUs)
            if due > nowUs { anchor = a; return }
            anchor = nowUs - due > Self.maxJumpUs ? (nowUs, f.dts) : a
            sink.write(f)
            cursor += 1
            if cursor == segment.count {
                queue.removeFirst()
                queuedBytes -= segment.reduce(0) { $0 + $1.data.count }
                cursor = 0
            }
        }
    }

    var summary: String {
        "\(segmentsIn) segments, \(framesOut) frames, \(rebases) rebases, \(demuxErrors) demux errors"
    }
}
