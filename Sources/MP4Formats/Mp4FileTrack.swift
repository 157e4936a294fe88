import MediaFormats

/// A video or sound track of a file, with its samples in decode order.
public struct Mp4FileTrack: Sendable {
    public let trackID: UInt32
    /// "vide" or "soun".
    public let handler: String
    public let timescale: UInt32
    /// mdhd's duration, or the sum of sample durations when mdhd says 0 (fragmented files).
    public let duration: Int64
    /// The sample entry's four-character code ('avc1', 'mp4a', ...).
    public let sampleEntry: String
    /// The codec and its record, nil when the sample entry is not one we know or its record is unreadable.
    public let media: MediaTrack?
    public let samples: [Mp4FileSample]

    public init(trackID: UInt32, handler: String, timescale: UInt32, duration: Int64, sampleEntry: String,
                media: MediaTrack?, samples: [Mp4FileSample]) {
        self.trackID = trackID
        self.handler = handler
        self.timescale = timescale
        self.duration = duration
        self.sampleEntry = sampleEntry
        self.media = media
        self.samples = samples
    }

    /// Ticks of this track to microseconds, rounded down, saturating instead of trapping.
    public func microseconds(_ ticks: Int64) -> Int64 {
        Self.rescale(ticks, from: Int64(timescale), to: 1_000_000)
    }

    /// The index of the last sync sample shown at or before `timeUs`, or the first sync sample when the time
    /// lies before all of them; nil when the track has no sync sample. Decoding from there reaches `timeUs`.
    public func syncSample(atOrBefore timeUs: Int64) -> Int? {
        var best: Int?
        var first: Int?
        // A linear pass: sync samples' pts are not guaranteed monotonic in a damaged file, and a pass over even
        // a day of samples costs a few milliseconds, once per seek.
        for (i, s) in samples.enumerated() where s.isSync {
            if first == nil { first = i }
            if microseconds(s.pts) <= timeUs, best.map({ samples[$0].pts <= s.pts }) ?? true { best = i }
        }
        return best ?? first
    }

    /// a * to / from, floored, for from > 0; saturates at the Int64 range.
    static func rescale(_ a: Int64, from: Int64, to: Int64) -> Int64 {
        guard from > 0 else { return 0 }
        let (q, r) = a.quotientAndRemainder(dividingBy: from)
        let (whole, overflow) = q.multipliedReportingOverflow(by: to)
        guard !overflow else { return a < 0 ? .min : .max }
        // |r| < from <= UInt32.max and to <= 10^6 in practice, so r * to stays far inside Int64 unless `to` is
        // another huge timescale; then the product is done in full width.
        let product = r.multipliedFullWidth(by: to)
        let (fracQ, fracR) = from.dividingFullWidth(product)
        let frac = fracR < 0 ? fracQ - 1 : fracQ
        let (sum, overflow2) = whole.addingReportingOverflow(frac)
        return overflow2 ? (a < 0 ? .min : .max) : sum
    }
}
