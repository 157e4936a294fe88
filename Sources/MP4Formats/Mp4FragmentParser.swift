/// The samples one moof describes (ISO/IEC 14496-12 8.8.7-8.8.12): tfhd defaults and data base, tfdt decode
/// time, trun entries. Handles what our Fmp4Muxer writes (default-base-is-moof, one trun per traf, all fields
/// per sample) and what ffmpeg writes (explicit base offsets, tfhd defaults, first-sample flags).
enum Mp4FragmentParser {
    /// trex: what a traf leaves out.
    struct Defaults: Sendable {
        var duration: UInt32 = 0
        var size: UInt32 = 0
        var flags: UInt32 = 0
    }

    /// is_non_sync_sample in the sample flags (8.8.3.1).
    static let nonSyncBit: UInt32 = 0x0001_0000

    /// Samples per track ID, their offsets absolute in the file, times raw (before the edit list).
    /// `decodeEnd` carries each track's end of decode time across fragments for trafs without a tfdt.
    static func samples(moof: Mp4BoxNode, in bytes: ArraySlice<UInt8>, moofOffset: Int64, fileSize: Int64,
                        defaults: [UInt32: Defaults], decodeEnd: inout [UInt32: Int64],
                        budget: Int) throws(Mp4FileError) -> [(trackID: UInt32, samples: [Mp4FileSample])] {
        var out: [(trackID: UInt32, samples: [Mp4FileSample])] = []
        var total = 0
        // Without an explicit base or default-base-is-moof, the first traf's data starts at the moof and each
        // later traf's where the previous one's ended.
        var previousEnd = moofOffset
        for traf in moof.children("traf") {
            guard let tfhdNode = traf.first("tfhd") else { throw .malformed("traf at \(moofOffset) without tfhd") }
            var tfhd = try Mp4Fields(fullBox: tfhdNode, in: bytes)
            let trackID = try tfhd.u32()
            guard let trex = defaults[trackID] else { throw .malformed("fragment at \(moofOffset) for unknown track \(trackID)") }
            var base = tfhd.flags & 0x02_0000 != 0 ? moofOffset : previousEnd
            if tfhd.flags & 0x01 != 0 {
                let explicit = try tfhd.u64()
                guard explicit <= UInt64(fileSize) else { throw .malformed("tfhd base data offset \(explicit) past the end of the file") }
                base = Int64(explicit)
            }
            if tfhd.flags & 0x02 != 0 { _ = try tfhd.u32() }               // sample_description_index
            let defaultDuration = tfhd.flags & 0x08 != 0 ? try tfhd.u32() : trex.duration
            let defaultSize = tfhd.flags & 0x10 != 0 ? try tfhd.u32() : trex.size
            let defaultFlags = tfhd.flags & 0x20 != 0 ? try tfhd.u32() : trex.flags

            var decodeTime = decodeEnd[trackID] ?? 0
            if let tfdtNode = traf.first("tfdt") {
                var tfdt = try Mp4Fields(fullBox: tfdtNode, in: bytes)
                let t = try tfdt.uintV()
                guard t < UInt64(Int64.max / 4) else { throw .malformed("tfdt decode time \(t) out of range") }
                decodeTime = Int64(t)
            }

            var samples: [Mp4FileSample] = []
            var dataCursor = base
            for trunNode in traf.children("trun") {
                var trun = try Mp4Fields(fullBox: trunNode, in: bytes)
                let f = trun.flags
                let perSample = (f & 0x100 != 0 ? 4 : 0) + (f & 0x200 != 0 ? 4 : 0) + (f & 0x400 != 0 ? 4 : 0) + (f & 0x800 != 0 ? 4 : 0)
                let count = Int(try trun.u32())
                if f & 0x01 != 0 {
                    let offset = Int64(Int32(bitPattern: try trun.u32()))
                    dataCursor = base + offset
                }
                let firstFlags = f & 0x04 != 0 ? try trun.u32() : nil
                // A count is believed only as far as the box holds its entries and, without a size per sample,
                // as far as the file holds the data (counted at 16 bytes or more a sample, so that runs of tiny
                // or empty samples cannot claim millions of entries from a few bytes).
                guard perSample == 0 || count <= trun.remaining / perSample else {
                    throw .malformed("trun at \(moofOffset) claims \(count) samples but holds \(trun.remaining) bytes of entries")
                }
                guard f & 0x200 != 0 || Int64(count) <= fileSize / Int64(max(defaultSize, 16)) else {
                    throw .malformed("trun at \(moofOffset) claims \(count) samples of \(defaultSize) bytes, more than the file holds")
                }
                guard count <= budget - total else { throw .malformed("fragment at \(moofOffset) exceeds the \(budget)-sample budget") }
                total += count
                samples.reserveCapacity(samples.count + count)
                for i in 0..<count {
                    let duration = f & 0x100 != 0 ? try trun.u32() : defaultDuration
                    let size = f & 0x200 != 0 ? try trun.u32() : defaultSize
                    let flags = f & 0x400 != 0 ? try trun.u32() : (i == 0 ? firstFlags ?? defaultFlags : defaultFlags)
                    // Signed in both versions, as ffmpeg reads them.
                    let cto = f & 0x800 != 0 ? Int64(Int32(bitPattern: try trun.u32())) : 0
                    guard dataCursor >= 0 else { throw .malformed("trun at \(moofOffset): data offset before the start of the file") }
                    samples.append(Mp4FileSample(offset: dataCursor, size: Int(size), dts: decodeTime, pts: decodeTime + cto,
                                                 duration: duration, isSync: flags & nonSyncBit == 0))
                    dataCursor += Int64(size)
                    decodeTime += Int64(duration)
                }
            }
            previousEnd = dataCursor
            decodeEnd[trackID] = decodeTime
            out.append((trackID, samples))
        }
        return out
    }
}
