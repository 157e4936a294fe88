import MediaFormats
import MP4Formats

/// Cuts a segment's fMP4 fragments (one moof+mdat per frame) into LL-HLS partial segments of at most
/// `partUs`. A segment is the concatenation of its parts, so the parts are the only copy of its bytes.
///
/// The muxer emits a frame when the next frame of its track fixes its duration, so a fragment's end is
/// known when it comes out: a part closes before the clock-track fragment that would take it past the
/// target. Video is the clock when there is any (audio fragments ride along with the video around them).
public struct HlsPartCutter: Sendable {
    public struct Part: Equatable, Sendable {
        public let bytes: [UInt8]
        public let durationUs: Int64
        /// Holds a video keyframe (or the stream has no video): a player may start decoding with it.
        public let independent: Bool
    }

    private var muxer: Fmp4Muxer
    private let partUs: Int64
    private let clockTracks: Set<Int>
    private let audioOnly: Bool
    /// The dts of the frame the muxer holds for each track (emitted with the next frame of that track).
    private var held: [Int64?]
    private var bytes: [UInt8] = []
    private var startDts: Int64 = 0
    private var independent = false

    public init?(tracks: [MediaTrack?], partMs: Int) {
        let m = Fmp4Muxer(tracks: tracks)
        guard !m.isEmpty else { return nil }
        muxer = m
        partUs = Int64(partMs) * 1000
        let video = Set(m.muxedTracks.filter { tracks[$0]?.codec.isVideo == true })
        clockTracks = video.isEmpty ? Set(m.muxedTracks) : video
        audioOnly = video.isEmpty
        held = Array(repeating: nil, count: tracks.count)
    }

    public func initSegment() -> [UInt8] { muxer.initSegment() }

    /// A segment starts at `dts` (a keyframe); the muxer holds nothing then (the previous one was finished).
    public mutating func begin(at dts: Int64) {
        startDts = dts
        bytes = []
        independent = false
    }

    /// Muxes one frame; returns the parts it completed (usually none).
    public mutating func mux(track: Int, pts: Int64, dts: Int64, key: Bool, data: ArraySlice<UInt8>) -> [Part] {
        guard held.indices.contains(track) else { return [] }
        let previous = held[track]
        let fragments = muxer.mux(track: track, pts: pts, dts: dts, key: key, data: data)
        held[track] = dts
        var out: [Part] = []
        for f in fragments { append(f.bytes, track: f.track, key: f.key, dts: previous ?? dts, end: dts, into: &out) }
        return out
    }

    /// Ends the segment at `endDts`: the frames the muxer held and the last (possibly short) part.
    public mutating func finish(endDts: Int64) -> [Part] {
        let pending = held
        held = Array(repeating: nil, count: held.count)
        var out: [Part] = []
        for f in muxer.flush() {
            append(f.bytes, track: f.track, key: f.key, dts: pending[f.track] ?? endDts, end: endDts, into: &out)
        }
        if !bytes.isEmpty { out.append(Part(bytes: bytes, durationUs: max(1, endDts &- startDts), independent: independent)) }
        bytes = []
        return out
    }

    private mutating func append(_ fragment: [UInt8], track: Int, key: Bool, dts: Int64, end: Int64, into out: inout [Part]) {
        let clock = clockTracks.contains(track)
        if clock, !bytes.isEmpty, dts > startDts, end &- startDts > partUs {
            out.append(Part(bytes: bytes, durationUs: dts &- startDts, independent: independent))
            bytes = []
            startDts = dts
            independent = false
        }
        if clock && (key || audioOnly) { independent = true }
        bytes += fragment
    }
}
