/// Decode timestamps for video that arrives with presentation times only (RTP carries no DTS): each frame's
/// DTS is the presentation time `delay` frames back in sorted order, which is monotonic and never later than
/// the frame's PTS as long as frames are reordered by at most `delay` (x264 and x265 defaults reorder by 2).
/// Streams without B-frames get DTS a constant two frames behind PTS, which players accept.
public struct DtsEstimator {
    private let delay: Int
    private var pending: [Int64] = []   // sorted PTS not yet used as a DTS
    private var first: Int64?
    private var emitted = 0
    private var last: Int64 = .min

    public init(delay: Int = 2) { self.delay = max(0, delay) }

    public mutating func dts(pts: Int64) -> Int64 {
        let at = pending.firstIndex { $0 > pts } ?? pending.count
        pending.insert(pts, at: at)
        if pending.count > 64 { pending.removeFirst(pending.count - 64) }   // bound after a timestamp jump
        var d: Int64
        if pending.count > delay {
            d = pending.removeFirst()
        } else {
            // The first frames, before `delay` later ones exist: step back from the first PTS by 1 ms each.
            let base = first ?? pts
            first = base
            d = base - Int64(delay - emitted) * 1000
        }
        emitted += 1
        if d <= last { d = last + 1 }           // deeper reordering than `delay`: stay monotonic
        last = d
        return d
    }

    /// A discontinuity (publisher restart): start over.
    public mutating func reset() { self = DtsEstimator(delay: delay) }
}
