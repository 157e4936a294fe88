import MediaFormats

/// One sample of a fragment, its timing already in the track's timescale.
struct Mp4Sample {
    var duration: UInt32
    var sync: Bool
    var compositionOffset: Int32
    var data: ArraySlice<UInt8>
}

/// moof + mdat for one track (ISO/IEC 14496-12 8.8.4-8.8.12): mfhd, then a traf with tfhd, tfdt and trun.
enum Mp4Fragment {
    /// sample_depends_on = 2 (an I picture), is_non_sync_sample = 0.
    static let syncFlags: UInt32 = 0x0200_0000
    /// sample_depends_on = 1, is_non_sync_sample = 1.
    static let nonSyncFlags: UInt32 = 0x0101_0000

    /// default-base-is-moof: data offsets count from the moof, so a fragment is valid on its own wherever
    /// the player's byte stream begins — the point of joining a live stream mid-way.
    static let tfhdFlags: UInt32 = 0x02_0000
    /// data-offset, sample-duration, sample-size, sample-flags and sample-composition-time-offset present.
    static let trunFlags: UInt32 = 0x00_0F01

    /// Nil when the samples cannot be described with 32-bit sizes (a > 4 GiB mdat is no live frame).
    static func encode(sequence: UInt32, trackID: UInt32, baseDecodeTime: UInt64, samples: [Mp4Sample]) -> [UInt8]? {
        let payload = samples.reduce(0) { $0 + $1.data.count }
        guard !samples.isEmpty, payload <= Int(UInt32.max) - 8 else { return nil }
        let moofSize = 8 + 16 + 8 + 16 + 20 + 20 + 16 * samples.count
        let moof = Mp4Box.box("moof", mfhd(sequence), Mp4Box.box("traf",
            tfhd(trackID), tfdt(baseDecodeTime), trun(samples, dataOffset: Int32(clamping: moofSize + 8))))
        var w = ByteWriter(capacity: moof.count + 8 + payload)
        w.append(moof)
        w.u32(UInt32(8 + payload))
        w.fourCC("mdat")
        for s in samples { w.append(s.data) }
        return w.bytes
    }

    static func mfhd(_ sequence: UInt32) -> [UInt8] {
        var w = ByteWriter(capacity: 4)
        w.u32(sequence)
        return Mp4Box.fullBox("mfhd", version: 0, flags: 0, w.bytes)
    }

    static func tfhd(_ trackID: UInt32) -> [UInt8] {
        var w = ByteWriter(capacity: 4)
        w.u32(trackID)
        return Mp4Box.fullBox("tfhd", version: 0, flags: tfhdFlags, w.bytes)
    }

    /// Version 1: 64-bit times, since a 90 kHz clock overflows 32 bits after 13 hours.
    static func tfdt(_ baseDecodeTime: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.uint64(baseDecodeTime)
        return Mp4Box.fullBox("tfdt", version: 1, flags: 0, w.bytes)
    }

    /// Version 1 makes composition offsets signed, so B-frames need no edit list to start at 0.
    static func trun(_ samples: [Mp4Sample], dataOffset: Int32) -> [UInt8] {
        var w = ByteWriter(capacity: 8 + 16 * samples.count)
        w.u32(UInt32(samples.count))
        w.u32(UInt32(bitPattern: dataOffset))
        for s in samples {
            w.u32(s.duration)
            w.u32(UInt32(s.data.count))
            w.u32(s.sync ? syncFlags : nonSyncFlags)
            w.u32(UInt32(bitPattern: s.compositionOffset))
        }
        return Mp4Box.fullBox("trun", version: 1, flags: trunFlags, w.bytes)
    }
}
