/// The sample table of a progressive file (ISO/IEC 14496-12 8.5-8.7) expanded into one entry per sample:
/// sizes from stsz, chunk positions from stco/co64 and stsc, decode times from stts, composition offsets from
/// ctts, sync flags from stss. Times are raw media times; the track applies the edit list.
///
/// Every table is read through a count checked against its box, and the expansion is driven by the stsz sample
/// count, itself bounded, so no declared count can make the reader loop or allocate beyond what the moov holds.
enum Mp4SampleTable {
    /// A day of 25 fps video with 48 kHz AAC is 6.2 million samples; the cap bounds what one track's list can
    /// cost (40 bytes a sample) whatever the tables claim.
    static let maxSamples = 1 << 23
    /// Raw audio (G.711, PCM) has a sample per audio sample, a byte or a few each; with a constant size it is
    /// listed in runs of `pcmRun` samples per entry, as ffmpeg does, instead of one entry per byte. Only these
    /// entries: a compressed track can have a constant size too (AAC silence), and its frames must stay whole.
    static let rawAudioEntries: Set<String> = ["alaw", "ulaw", "raw ", "twos", "sowt", "lpcm", "in24", "in32", "fl32", "fl64"]
    static let pcmRun = 1024

    static func samples(stbl: Mp4BoxNode, in bytes: ArraySlice<UInt8>, fileSize: Int64,
                        track: UInt32) throws(Mp4FileError) -> [Mp4FileSample] {
        let entry = stbl.first("stsd")?.children.first?.type ?? ""
        func box(_ type: String) throws(Mp4FileError) -> Mp4Fields? {
            guard let node = stbl.first(type) else { return nil }
            return try Mp4Fields(fullBox: node, in: bytes)
        }
        func required(_ type: String) throws(Mp4FileError) -> Mp4Fields {
            guard let f = try box(type) else { throw .malformed("track \(track): stbl has no \(type)") }
            return f
        }

        // stsz: a constant size, or one size per sample.
        var stsz = try required("stsz")
        let constantSize = Int(try stsz.u32())
        let sampleCount: Int
        var sizes: [UInt32] = []
        if constantSize == 0 {
            sampleCount = try stsz.count(entrySize: 4)
            sizes.reserveCapacity(sampleCount)
            for _ in 0..<sampleCount { sizes.append(try stsz.u32()) }
        } else {
            sampleCount = Int(try stsz.u32())
            guard Int64(sampleCount) <= fileSize / Int64(constantSize) else {
                throw .malformed("track \(track): stsz says \(sampleCount) samples of \(constantSize) bytes, more than the \(fileSize)-byte file")
            }
        }
        let pcm = constantSize > 0 && rawAudioEntries.contains(entry)
        guard sampleCount <= maxSamples || pcm else {
            throw .malformed("track \(track): \(sampleCount) samples, more than the \(maxSamples) the reader takes")
        }
        guard sampleCount > 0 else { return [] }

        // stco / co64: where each chunk starts.
        var chunkOffsets: [Int64] = []
        if var co = try box("stco") {
            let n = try co.count(entrySize: 4)
            chunkOffsets.reserveCapacity(n)
            for _ in 0..<n { chunkOffsets.append(Int64(try co.u32())) }
        } else if var co = try box("co64") {
            let n = try co.count(entrySize: 8)
            chunkOffsets.reserveCapacity(n)
            for _ in 0..<n {
                let v = try co.u64()
                guard v <= UInt64(fileSize) else { throw .malformed("track \(track): co64 chunk offset \(v) past the end of the file") }
                chunkOffsets.append(Int64(v))
            }
        } else {
            throw .malformed("track \(track): stbl has neither stco nor co64")
        }

        // stsc: runs of chunks with the same number of samples, by 1-based first chunk.
        var stsc = try required("stsc")
        let stscCount = try stsc.count(entrySize: 12)
        var runs: [(firstChunk: Int, samplesPerChunk: Int)] = []
        runs.reserveCapacity(stscCount)
        for i in 0..<stscCount {
            let first = Int(try stsc.u32()), perChunk = Int(try stsc.u32())
            try stsc.skip(4)                                   // sample_description_index: we read entry 1 only
            guard first >= 1 else { throw .malformed("track \(track): stsc entry \(i) references chunk 0 (chunks count from 1)") }
            if let last = runs.last, first <= last.firstChunk {
                throw .malformed("track \(track): stsc entry \(i) first chunk \(first) does not follow \(last.firstChunk)")
            }
            runs.append((first, perChunk))
        }
        guard runs.first?.firstChunk == 1 else { throw .malformed("track \(track): stsc does not start at chunk 1") }

        var stts = try Mp4RunLengthTable(try required("stts"), name: "stts", track: track)
        var ctts = try box("ctts").map { f throws(Mp4FileError) in try Mp4RunLengthTable(f, name: "ctts", track: track) }
        var syncNumbers: [Int]? = nil
        if var stss = try box("stss") {
            let n = try stss.count(entrySize: 4)
            var numbers: [Int] = []
            numbers.reserveCapacity(n)
            for _ in 0..<n {
                let k = Int(try stss.u32())
                guard k >= 1, k <= sampleCount else { throw .malformed("track \(track): stss names sample \(k) of \(sampleCount)") }
                numbers.append(k)
            }
            syncNumbers = numbers.sorted()
        }

        var out: [Mp4FileSample] = []
        out.reserveCapacity(pcm ? min(sampleCount / pcmRun + chunkOffsets.count, maxSamples) : sampleCount)
        var index = 0                                          // samples consumed, 0-based
        var syncCursor = 0
        var run = 0
        var dts: Int64 = 0
        for (chunk, chunkOffset) in chunkOffsets.enumerated() where index < sampleCount {
            while run + 1 < runs.count, runs[run + 1].firstChunk <= chunk + 1 { run += 1 }
            var offset = chunkOffset
            var left = min(runs[run].samplesPerChunk, sampleCount - index)
            while left > 0 {
                let n = pcm ? min(left, pcmRun) : 1
                let size = constantSize > 0 ? constantSize * n : Int(sizes[index])
                guard offset + Int64(size) <= fileSize else {
                    throw .malformed("track \(track): sample \(index + 1) at \(offset) (\(size) bytes) runs past the end of the \(fileSize)-byte file")
                }
                let duration = try stts.durations(n)
                let cto = try ctts?.offset(n) ?? 0
                var sync = true
                if let numbers = syncNumbers {
                    while syncCursor < numbers.count, numbers[syncCursor] < index + 1 { syncCursor += 1 }
                    sync = syncCursor < numbers.count && numbers[syncCursor] == index + 1
                }
                guard out.count < maxSamples else { throw .malformed("track \(track): more than \(maxSamples) samples") }
                out.append(Mp4FileSample(offset: offset, size: size, dts: dts, pts: dts + Int64(cto),
                                         duration: UInt32(clamping: duration), isSync: sync))
                let (next, overflow) = dts.addingReportingOverflow(duration)
                guard !overflow, next < Int64.max / 2 else { throw .malformed("track \(track): decode times overflow") }
                dts = next
                offset += Int64(size)
                index += n
                left -= n
            }
        }
        guard index == sampleCount else {
            throw .malformed("track \(track): chunks hold \(index) samples, stsz lists \(sampleCount)")
        }
        return out
    }
}
