import BusMedia
import MediaFormats
import MpegTS
import MRPluginKit

/// An HTTP-TS body into the bus: demuxed as it arrives (TsDemuxer), tracks declared by TsTrackSink as for
/// HLS segments, but written at once: a live HTTP-TS stream already arrives in real time, so there is no
/// pacing. TS muxers interleave audio PES late or early against video, while the bus wants frames in DTS
/// order across tracks; frames therefore wait in a short reorder window until every track has reached
/// their time (or the window is full, for a track that went silent).
final class HttpTsPullIngest: HttpPullIngest {
    private typealias Frame = TsTrackSink.Frame

    /// Longest time span the reorder window holds; a muxer interleaves well within this.
    static let maxWindowUs: Int64 = 1_000_000
    static let maxWindowFrames = 2000
    static let maxWindowBytes = 16 << 20

    private var demuxer = TsDemuxer()
    private let sink: TsTrackSink
    private var tracks: [TsTrack] = []
    /// DTS-ordered; frames of equal DTS keep their arrival order.
    private var window: [Frame] = []
    private var windowBytes = 0
    private var latest: [Int: Int64] = [:]
    /// Puts the first frame at 0, as the other pulls start near 0 (the TS clock starts anywhere).
    private var offsetUs: Int64?

    init(host: PluginHost, source: OpaquePointer, label: String) {
        sink = TsTrackSink(host: host, source: source, label: label)
    }

    func push(_ bytes: [UInt8]) throws(HttpPullError) -> Int {
        let frames = demuxer.push(bytes[...])
        if demuxer.tracks != tracks {
            tracks = demuxer.tracks
            sink.declare(tracks)
        }
        for f in frames.compactMap({ sink.frame($0, of: tracks) }) {
            insert(f)
            latest[f.slot] = max(latest[f.slot] ?? f.dts, f.dts)
        }
        return release()
    }

    private func insert(_ f: Frame) {
        var i = window.count
        while i > 0, window[i - 1].dts > f.dts { i -= 1 }
        window.insert(f, at: i)
        windowBytes += f.data.count
    }

    /// Writes the frames no track can still come before: up to the time every track has reached.
    private func release() -> Int {
        let reached = latest.count >= sink.slotCount ? latest.values.min() : nil
        var n = 0
        while let first = window.first, let last = window.last {
            let full = last.dts - first.dts > Self.maxWindowUs || window.count > Self.maxWindowFrames || windowBytes > Self.maxWindowBytes
            guard full || first.dts <= (reached ?? Int64.min) else { break }
            window.removeFirst()
            windowBytes -= first.data.count
            let offset = offsetUs ?? -first.dts
            offsetUs = offset
            sink.write(first.shifted(offset))
            n += 1
        }
        return n
    }

    var codecs: String { sink.codecs }
    var summary: String { "\(sink.framesOut) frames, \(demuxer.errors) TS errors" }
}
