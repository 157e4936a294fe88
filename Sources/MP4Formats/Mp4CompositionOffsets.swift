/// ctts walked sample by sample. Offsets are read as signed in both versions, as ffmpeg does: version 0 files
/// with "negative" offsets exist, and no real offset reaches 2^31 ticks.
struct Mp4CompositionOffsets {
    private var entries: [(count: UInt32, offset: Int32)] = []
    private var entry = 0
    private var usedInEntry: UInt32 = 0
    private let track: UInt32

    init(_ box: Mp4Fields, track: UInt32) throws(Mp4FileError) {
        var f = box
        self.track = track
        let n = try f.count(entrySize: 8)
        entries.reserveCapacity(n)
        for _ in 0..<n { entries.append((try f.u32(), Int32(bitPattern: try f.u32()))) }
    }

    /// The offset of the next sample, skipping `n - 1` more (PCM runs have no reordering).
    mutating func advance(_ n: Int) throws(Mp4FileError) -> Int32 {
        var left = UInt32(clamping: n)
        var first: Int32?
        while left > 0 {
            guard entry < entries.count else { throw .malformed("track \(track): ctts covers fewer samples than stsz") }
            if first == nil { first = entries[entry].offset }
            let take = min(left, entries[entry].count - usedInEntry)
            usedInEntry += take
            left -= take
            if usedInEntry == entries[entry].count { entry += 1; usedInEntry = 0 }
        }
        return first ?? 0
    }
}
