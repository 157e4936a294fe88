import MediaFormats

/// ftyp + moov for a fragmented file (ISO/IEC 14496-12 8.8): empty sample tables, an mvex with one trex
/// per track, durations of 0 because a live stream has no known end.
enum Mp4InitSegment {
    static func encode(_ tracks: [Mp4TrackSetup], nextTrackID: UInt32) -> [UInt8] {
        ftyp() + Mp4Box.box("moov", parts: [mvhd(nextTrackID: nextTrackID)] + tracks.map(trak) + [mvex(tracks)])
    }

    /// iso5 is the first brand with default-base-is-moof and tfdt, which every fragment relies on; iso6 and
    /// mp41 widen what players that check brands will accept. No 'cmfc': CMAF allows one track per file.
    static func ftyp() -> [UInt8] {
        var w = ByteWriter(capacity: 20)
        w.fourCC("iso5")
        w.u32(0)
        for brand in ["iso5", "iso6", "mp41"] { w.fourCC(brand) }
        return Mp4Box.box("ftyp", w.bytes)
    }

    /// The progressive writer passes its duration; version 1 only when it needs 64 bits.
    static func mvhd(nextTrackID: UInt32, duration: UInt64 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: 112)
        let wide = duration > UInt64(UInt32.max)
        w.zeros(wide ? 16 : 8)            // creation / modification time: unknown for a live stream
        w.u32(movieTimescale)
        if wide { w.uint64(duration) } else { w.u32(UInt32(duration)) }
        w.u32(0x0001_0000)                // rate 1.0
        w.u16(0x0100)                     // volume 1.0
        w.zeros(10)
        w.append(Mp4Box.unityMatrix)
        w.zeros(24)
        w.u32(nextTrackID)
        return Mp4Box.fullBox("mvhd", version: wide ? 1 : 0, flags: 0, w.bytes)
    }

    /// Milliseconds: all the movie clock counts is durations and edit lists.
    static let movieTimescale: UInt32 = 1000

    static func trak(_ t: Mp4TrackSetup) -> [UInt8] {
        Mp4Box.box("trak", tkhd(t), Mp4Box.box("mdia", mdhd(t), hdlr(video: t.isVideo), minf(t)))
    }

    static func tkhd(_ t: Mp4TrackSetup, duration: UInt64 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: 92)
        let wide = duration > UInt64(UInt32.max)
        w.zeros(wide ? 16 : 8)
        w.u32(t.trackID)
        w.zeros(4)
        if wide { w.uint64(duration) } else { w.u32(UInt32(duration)) }   // in the movie timescale
        w.zeros(8)
        w.u16(0)                          // layer
        w.u16(0)                          // alternate_group
        w.u16(t.isVideo ? 0 : 0x0100)
        w.zeros(2)
        w.append(Mp4Box.unityMatrix)
        w.u32(UInt32(clamping: t.width) << 16)     // 16.16; setup guarantees width < 65536
        w.u32(UInt32(clamping: t.height) << 16)
        return Mp4Box.fullBox("tkhd", version: wide ? 1 : 0, flags: 0x000003, w.bytes)   // enabled, in movie
    }

    /// A progressive file keeps the timescale its samples were read in, so `timescale` overrides the setup's.
    static func mdhd(_ t: Mp4TrackSetup, timescale: UInt32? = nil, duration: UInt64 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: 32)
        let wide = duration > UInt64(UInt32.max)
        w.zeros(wide ? 16 : 8)
        w.u32(timescale ?? t.timescale)
        if wide { w.uint64(duration) } else { w.u32(UInt32(duration)) }
        w.u16(0x55C4)                     // 'und', packed ISO 639-2/T
        w.u16(0)
        return Mp4Box.fullBox("mdhd", version: wide ? 1 : 0, flags: 0, w.bytes)
    }

    static func hdlr(video: Bool) -> [UInt8] {
        var w = ByteWriter(capacity: 40)
        w.u32(0)
        w.fourCC(video ? "vide" : "soun")
        w.zeros(12)
        w.append((video ? "VideoHandler" : "SoundHandler").utf8)
        w.u8(0)
        return Mp4Box.fullBox("hdlr", version: 0, flags: 0, w.bytes)
    }

    static func minf(_ t: Mp4TrackSetup, stbl: [UInt8]? = nil) -> [UInt8] {
        let header = t.isVideo
            ? Mp4Box.fullBox("vmhd", version: 0, flags: 1, [UInt8](repeating: 0, count: 8))   // flags 1 is mandatory
            : Mp4Box.fullBox("smhd", version: 0, flags: 0, [0, 0, 0, 0])
        let url = Mp4Box.fullBox("url ", version: 0, flags: 1)    // flag 1: media is in this file
        let dinf = Mp4Box.box("dinf", Mp4Box.fullBox("dref", version: 0, flags: 0, [0, 0, 0, 1], url))
        return Mp4Box.box("minf", header, dinf, stbl ?? Self.stbl(t))
    }

    static func stsd(_ t: Mp4TrackSetup) -> [UInt8] {
        Mp4Box.fullBox("stsd", version: 0, flags: 0, [0, 0, 0, 1], t.sampleEntry)
    }

    /// Sample tables stay empty: every sample lives in a fragment.
    static func stbl(_ t: Mp4TrackSetup) -> [UInt8] {
        let none: [UInt8] = [0, 0, 0, 0]
        return Mp4Box.box("stbl",
                          stsd(t),
                          Mp4Box.fullBox("stts", version: 0, flags: 0, none),
                          Mp4Box.fullBox("stsc", version: 0, flags: 0, none),
                          Mp4Box.fullBox("stsz", version: 0, flags: 0, none, none),
                          Mp4Box.fullBox("stco", version: 0, flags: 0, none))
    }

    static func mvex(_ tracks: [Mp4TrackSetup]) -> [UInt8] {
        Mp4Box.box("mvex", parts: tracks.map { t in
            var w = ByteWriter(capacity: 20)
            w.u32(t.trackID)
            w.u32(1)                      // default_sample_description_index
            w.zeros(12)                   // duration, size and flags: every trun gives its own
            return Mp4Box.fullBox("trex", version: 0, flags: 0, w.bytes)
        })
    }
}
