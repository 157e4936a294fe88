/// Bus timestamps are microseconds; MP4 counts ticks of a per-track timescale.
enum Mp4Time {
    /// Rounds to the nearest tick rather than truncating: millisecond-based sources put AAC frames at
    /// 23.22 ms steps, and truncation would turn every rounding error into a one-tick gap or overlap.
    /// Saturates instead of trapping, since timestamps come from the network.
    static func ticks(_ us: Int64, timescale: UInt32) -> Int64 {
        let ts = Int64(timescale)
        let (q, r) = us.quotientAndRemainder(dividingBy: 1_000_000)
        let (whole, overflow) = q.multipliedReportingOverflow(by: ts)
        if overflow { return us < 0 ? .min : .max }
        let frac = (r * ts + (r >= 0 ? 500_000 : -500_000)) / 1_000_000   // |r * ts| < 2^53
        let (sum, overflow2) = whole.addingReportingOverflow(frac)
        return overflow2 ? (us < 0 ? .min : .max) : sum
    }

    static func difference(_ a: Int64, _ b: Int64) -> Int64 {
        let (d, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (a < b ? .min : .max) : d
    }
}
