/// stts walked sample by sample without expanding it.
struct Mp4TimeToSample {
    private var entries: [(count: UInt32, delta: UInt32)] = []
    private var entry = 0
    private var usedInEntry: UInt32 = 0
    private let track: UInt32

    init(_ box: Mp4Fields, track: UInt32) throws(Mp4FileError) {
        var f = box
        self.track = track
        let n = try f.count(entrySize: 8)
        entries.reserveCapacity(n)
        for _ in 0..<n { entries.append((try f.u32(), try f.u32())) }
    }

    /// The summed duration of the next `n` samples.
    mutating func advance(_ n: Int) throws(Mp4FileError) -> Int64 {
        var total: Int64 = 0
        var left = UInt32(clamping: n)
        while left > 0 {
            guard entry < entries.count else { throw .malformed("track \(track): stts covers fewer samples than stsz") }
            let take = min(left, entries[entry].count - usedInEntry)
            total += Int64(take) * Int64(entries[entry].delta)
            usedInEntry += take
            left -= take
            if usedInEntry == entries[entry].count { entry += 1; usedInEntry = 0 }
        }
        return total
    }
}
