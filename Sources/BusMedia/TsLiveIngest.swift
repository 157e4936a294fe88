import MediaFormats
import MpegTS
import MRPluginKit

/// A live MPEG-TS byte stream pushed by a publisher (SRT) onto a bus source: demuxed as it arrives, tracks
/// declared by TsTrackSink, frames released in DTS order across tracks once every track has reached their
/// time (a muxer interleaves audio PES early or late against video), and the timeline kept continuous when
/// the sender's clock jumps (an encoder restart, a PCR discontinuity): a jump of more than `maxJumpUs`
/// either way continues from the last frame instead.
public final class TsLiveIngest {
    private typealias Frame = TsTrackSink.Frame

    public static let reorderSpanUs: Int64 = 1_000_000
    public static let maxJumpUs: Int64 = 10_000_000

    private var demuxer = TsDemuxer()
    private let sink: TsTrackSink
    private var tracks: [TsTrack] = []
    private var pending: [Frame] = []
    private var reached: [Int: Int64] = [:]
    private var shiftUs: Int64?
    private var lastOut: Int64?

    public init(host: PluginHost, source: OpaquePointer, label: String) {
        sink = TsTrackSink(host: host, source: source, label: label)
    }

    public var codecs: String { sink.codecs }
    public var framesOut: Int { sink.framesOut }
    public var errors: Int { demuxer.errors }

    /// Returns the frames written to the bus.
    @discardableResult
    public func push(_ bytes: ArraySlice<UInt8>) -> Int {
        let frames = demuxer.push(bytes)
        if demuxer.tracks != tracks {
            tracks = demuxer.tracks
            sink.declare(tracks)
        }
        for f in frames {
            guard let frame = sink.frame(f, of: tracks) else { continue }
            let at = pending.lastIndex { $0.dts <= frame.dts }.map { $0 + 1 } ?? 0
            pending.insert(frame, at: at)
            reached[frame.slot] = max(reached[frame.slot] ?? frame.dts, frame.dts)
        }
        return drain()
    }

    private func drain() -> Int {
        let allReached = reached.count >= sink.slotCount ? reached.values.min() ?? .min : .min
        var written = 0
        while let first = pending.first,
              first.dts <= allReached || (pending.last.map { $0.dts - first.dts > Self.reorderSpanUs } ?? false) || pending.count > 2000 {
            pending.removeFirst()
            var shift = shiftUs ?? -first.dts
            if let last = lastOut, abs(first.dts + shift - last) > Self.maxJumpUs {
                shift = last + 40_000 - first.dts
            }
            shiftUs = shift
            lastOut = first.dts + shift
            sink.write(first.shifted(shift))
            written += 1
        }
        return written
    }
}
