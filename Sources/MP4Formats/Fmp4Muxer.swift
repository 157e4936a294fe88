import MediaFormats

/// Live fragmented MP4 for players joining at a keyframe: an init segment (ftyp + moov with mvex/trex), then one
/// moof+mdat per frame, with tfdt base media decode times and trun sample durations, sizes, flags (sync /
/// non-sync) and composition offsets (version 1 trun, signed).
///
/// Timing: all tracks share one origin, the dts of the first frame muxed, so audio and video stay in sync and
/// the timeline starts near 0; a dts or pts before the origin is clamped to 0 (MSE drops what ends before 0).
/// A frame's duration is the distance to the next frame of its track, so the muxer holds one frame per track
/// and emits it when the next arrives; a forward jump thus stretches one frame rather than leaving a gap that
/// would make MSE wait for the next keyframe. Backward jumps are expected to be smoothed upstream: a frame
/// whose successor does not move forward just gets the nominal frame duration.
///
/// Audio samples are all marked sync whatever the bus's key flag says (every AAC/Opus/MP3 frame decodes on its
/// own); the key flag returned with each fragment is the bus's flag, unchanged.
public struct Fmp4Muxer: Sendable {
    private struct Held: Sendable {
        var dts: Int64
        var decodeTime: Int64          // ticks since the origin, >= 0
        var presentationTime: Int64    // ticks since the origin, >= 0
        var key: Bool
        var data: ArraySlice<UInt8>    // keeps the caller's storage alive without copying it
    }

    private let setups: [Mp4TrackSetup?]
    private var held: [Held?]
    private var origin: Int64?
    private var sequence: UInt32 = 0

    /// `tracks[i]` is bus track `i` and becomes track_ID `i + 1`; nil and unsupported tracks are skipped.
    public init(tracks: [Mp4Track?]) {
        setups = tracks.enumerated().map { i, t in t.flatMap { Mp4TrackSetup($0, trackID: UInt32(clamping: i + 1)) } }
        held = Array(repeating: nil, count: tracks.count)
    }

    /// True when no track can be carried: there is nothing to serve.
    public var isEmpty: Bool { setups.allSatisfy { $0 == nil } }

    /// The indices of the bus tracks that are muxed.
    public var muxedTracks: [Int] { setups.indices.filter { setups[$0] != nil } }

    /// The MIME type with RFC 6381 codecs for MSE, e.g. `video/mp4; codecs="avc1.42C00D,mp4a.40.2"`.
    public var mimeType: String {
        let carried = setups.compactMap { $0 }
        let kind = carried.contains { $0.isVideo } ? "video/mp4" : "audio/mp4"
        return "\(kind); codecs=\"\(carried.map(\.codecString).joined(separator: ","))\""
    }

    /// ftyp (iso5, iso6, mp41) + moov. Video timescale 90000, audio timescale = sample rate (48000 for Opus).
    public func initSegment() -> [UInt8] {
        Mp4InitSegment.encode(setups.compactMap { $0 }, nextTrackID: UInt32(clamping: setups.count + 1))
    }

    /// Takes one frame and returns the fragments ready now: the previous frame of the same track, once this
    /// one fixes its duration (so usually one fragment, none for a track's first frame or a skipped track).
    public mutating func mux(track: Int, pts: Int64, dts: Int64, key: Bool, data: ArraySlice<UInt8>) -> [(track: Int, key: Bool, bytes: [UInt8])] {
        guard setups.indices.contains(track), let setup = setups[track], !data.isEmpty else { return [] }
        let base = origin ?? dts
        origin = base
        let frame = Held(dts: dts,
                         decodeTime: max(0, Mp4Time.ticks(Mp4Time.difference(dts, base), timescale: setup.timescale)),
                         presentationTime: max(0, Mp4Time.ticks(Mp4Time.difference(pts, base), timescale: setup.timescale)),
                         key: key, data: data)
        var out: [(track: Int, key: Bool, bytes: [UInt8])] = []
        if let previous = held[track] {
            let step = frame.decodeTime - previous.decodeTime       // both >= 0: cannot overflow
            let duration = step > 0 ? UInt32(clamping: step) : setup.fallbackDuration(previous.data)
            if let bytes = fragment(previous, setup: setup, duration: duration) { out.append((track, previous.key, bytes)) }
        }
        held[track] = frame
        return out
    }

    /// Emits every held frame (end of stream) in decode order, with nominal durations.
    public mutating func flush() -> [(track: Int, key: Bool, bytes: [UInt8])] {
        let pending = held.indices.compactMap { i in held[i].map { (i, $0) } }.sorted { $0.1.dts < $1.1.dts }
        held = Array(repeating: nil, count: held.count)
        return pending.compactMap { i, frame in
            guard let setup = setups[i],
                  let bytes = fragment(frame, setup: setup, duration: setup.fallbackDuration(frame.data)) else { return nil }
            return (i, frame.key, bytes)
        }
    }

    private mutating func fragment(_ f: Held, setup: Mp4TrackSetup, duration: UInt32) -> [UInt8]? {
        let next = sequence == UInt32.max ? 1 : sequence + 1
        // The composition offset is taken from the decode time actually written, so a clamped dts does not
        // move the picture's presentation time.
        let offset = Int32(clamping: Mp4Time.difference(f.presentationTime, f.decodeTime))
        let sample = Mp4Sample(duration: duration, sync: f.key || !setup.isVideo, compositionOffset: offset, data: f.data)
        guard let bytes = Mp4Fragment.encode(sequence: next, trackID: setup.trackID, baseDecodeTime: UInt64(f.decodeTime),
                                             samples: [sample]) else { return nil }
        sequence = next
        return bytes
    }
}
