/// A run-length sample table (stts: count × sample delta, ctts: count × composition offset) walked sample
/// by sample without expanding it: one walker for both, each box reading the runs its own way.
struct Mp4RunLengthTable {
    private var entries: [(count: UInt32, value: UInt32)] = []
    private var entry = 0
    private var usedInEntry: UInt32 = 0
    private let track: UInt32
    private let name: String

    init(_ box: Mp4Fields, name: String, track: UInt32) throws(Mp4FileError) {
        var f = box
        self.track = track
        self.name = name
        let n = try f.count(entrySize: 8)
        entries.reserveCapacity(n)
        for _ in 0..<n { entries.append((try f.u32(), try f.u32())) }
    }

    /// Consumes the next `n` samples, calling `run(count, value)` for each run they touch, in order.
    private mutating func take(_ n: Int, _ run: (UInt32, UInt32) -> Void) throws(Mp4FileError) {
        var left = UInt32(clamping: n)
        while left > 0 {
            guard entry < entries.count else { throw .malformed("track \(track): \(name) covers fewer samples than stsz") }
            let take = min(left, entries[entry].count - usedInEntry)
            run(take, entries[entry].value)
            usedInEntry += take
            left -= take
            if usedInEntry == entries[entry].count { entry += 1; usedInEntry = 0 }
        }
    }

    /// stts: the summed duration of the next `n` samples.
    mutating func durations(_ n: Int) throws(Mp4FileError) -> Int64 {
        var total: Int64 = 0
        try take(n) { count, delta in total += Int64(count) * Int64(delta) }
        return total
    }

    /// ctts: the offset of the next sample, skipping `n - 1` more (PCM runs have no reordering). Offsets are
    /// read as signed in both box versions, as ffmpeg does: version 0 files with "negative" offsets exist,
    /// and no real offset reaches 2^31 ticks.
    mutating func offset(_ n: Int) throws(Mp4FileError) -> Int32 {
        var first: Int32?
        try take(n) { _, value in if first == nil { first = Int32(bitPattern: value) } }
        return first ?? 0
    }
}
