import MediaFormats

/// One trak box: identity (tkhd), clock (mdhd), kind (hdlr), codec (stsd), samples (stbl) and the edit list's
/// offset. Tracks other than video and sound (timecode, chapters, hint) are skipped.
enum Mp4TrackParser {
    struct Parsed {
        var trackID: UInt32
        var handler: String
        var timescale: UInt32
        var mdhdDuration: Int64
        var sampleEntry: String
        var media: MediaTrack?
        /// Added to every raw media time: leading empty edits minus the first edit's media_time.
        var shift: Int64
        var samples: [Mp4FileSample]

        func track() -> Mp4FileTrack {
            let shifted = shift == 0 ? samples : samples.map { s in
                var s = s
                s.dts += shift
                s.pts += shift
                return s
            }
            let total = samples.reduce(Int64(0)) { $0 + Int64($1.duration) }
            return Mp4FileTrack(trackID: trackID, handler: handler, timescale: timescale,
                                duration: mdhdDuration > 0 ? mdhdDuration : total, sampleEntry: sampleEntry,
                                media: media, samples: shifted)
        }
    }

    static func parse(_ trak: Mp4BoxNode, in bytes: ArraySlice<UInt8>, movieTimescale: UInt32,
                      fileSize: Int64) throws(Mp4FileError) -> Parsed? {
        guard let hdlrNode = trak.first("mdia/hdlr") else { throw .malformed("trak without mdia/hdlr") }
        var hdlr = try Mp4Fields(fullBox: hdlrNode, in: bytes)
        try hdlr.skip(4)
        let handler = String(try hdlr.take(4).map { Character(Unicode.Scalar($0)) })
        guard handler == "vide" || handler == "soun" else { return nil }

        guard let tkhdNode = trak.first("tkhd") else { throw .malformed("trak without tkhd") }
        var tkhd = try Mp4Fields(fullBox: tkhdNode, in: bytes)
        _ = try tkhd.uintV(); _ = try tkhd.uintV()              // creation, modification
        let trackID = try tkhd.u32()

        guard let mdhdNode = trak.first("mdia/mdhd") else { throw .malformed("track \(trackID) without mdhd") }
        var mdhd = try Mp4Fields(fullBox: mdhdNode, in: bytes)
        _ = try mdhd.uintV(); _ = try mdhd.uintV()
        let timescale = try mdhd.u32()
        guard timescale > 0 else { throw .malformed("track \(trackID): mdhd timescale 0") }
        let rawDuration = try mdhd.uintV()
        // All ones is "unknown" in version 0 and 1 alike.
        let duration = rawDuration == UInt64(UInt32.max) || rawDuration > UInt64(Int64.max / 4) ? 0 : Int64(rawDuration)

        guard let stbl = trak.first("mdia/minf/stbl") else { throw .malformed("track \(trackID) without stbl") }
        let entry = stbl.first("stsd")?.children.first
        let media = entry.flatMap { Mp4SampleEntryParser.media($0, in: bytes) }
        let samples = try Mp4SampleTable.samples(stbl: stbl, in: bytes, fileSize: fileSize, track: trackID)
        let shift = try editShift(trak.first("edts/elst"), in: bytes, movieTimescale: movieTimescale,
                                  mediaTimescale: timescale, track: trackID)
        return Parsed(trackID: trackID, handler: handler, timescale: timescale, mdhdDuration: duration,
                      sampleEntry: entry?.type ?? "", media: media, shift: shift, samples: samples)
    }

    /// What the edit list does to the start of the track (8.6.6): leading empty edits delay it, the first real
    /// edit's media_time skips that much media (ffmpeg's B-frame delay, AAC priming, Opus pre-skip). Later edits
    /// and rates are ignored: no recording of ours has them.
    static func editShift(_ elst: Mp4BoxNode?, in bytes: ArraySlice<UInt8>, movieTimescale: UInt32,
                          mediaTimescale: UInt32, track: UInt32) throws(Mp4FileError) -> Int64 {
        guard let elst else { return 0 }
        var f = try Mp4Fields(fullBox: elst, in: bytes)
        let n = try f.count(entrySize: f.version == 1 ? 20 : 12)
        var empty: Int64 = 0
        for _ in 0..<n {
            let segment = try f.uintV()
            let mediaTime = f.version == 1 ? Int64(bitPattern: try f.u64()) : Int64(Int32(bitPattern: try f.u32()))
            try f.skip(4)                                      // media_rate
            if mediaTime == -1 {
                guard segment < UInt64(Int64.max / 4), empty + Int64(segment) < Int64.max / 4 else {
                    throw .malformed("track \(track): empty edit of \(segment) out of range")
                }
                empty += Int64(segment)
                continue
            }
            guard mediaTime >= 0, mediaTime < Int64.max / 4 else { throw .malformed("track \(track): edit media_time \(mediaTime)") }
            return rescaleRounded(empty, from: Int64(movieTimescale), to: Int64(mediaTimescale)) - mediaTime
        }
        return rescaleRounded(empty, from: Int64(movieTimescale), to: Int64(mediaTimescale))
    }

    /// a * to / from rounded to nearest, for 0 <= a < 2^61 and 32-bit timescales (ffmpeg's av_rescale rounding).
    static func rescaleRounded(_ a: Int64, from: Int64, to: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: from)
        let (whole, overflow) = q.multipliedReportingOverflow(by: to)
        guard !overflow, whole < Int64.max / 4 else { return Int64.max / 4 }
        return whole + (r * to + from / 2) / from              // r, to < 2^32: no overflow
    }
}
