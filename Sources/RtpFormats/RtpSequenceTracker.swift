/// Counts loss on an ordered transport (RTP over RTSP/TCP interleaved, RFC 2326 10.12), where packets never
/// reorder: any jump forward is loss to report to the depacketizer, anything backward a duplicate.
public struct RtpSequenceTracker: Sendable {
    public enum Result: Sendable, Equatable {
        /// The expected next packet (or the first one).
        case next
        /// `missing` packets were skipped: call the depacketizer's `lost()` before pushing this one.
        case gap(missing: Int)
        /// A sequence number at or before the last one: drop the packet.
        case old
        /// The sender restarted its numbering: treat as a gap, but nothing was counted lost.
        case restart
    }

    private var last: UInt16?
    public private(set) var received = 0
    public private(set) var lost = 0
    public private(set) var duplicates = 0

    public init() {}

    public mutating func track(_ sequence: UInt16) -> Result {
        received += 1
        guard let previous = last else {
            last = sequence
            return .next
        }
        let delta = Int64(Int16(bitPattern: sequence &- previous))
        if delta == 1 {
            last = sequence
            return .next
        }
        if delta > 1 && delta <= RtpSequenceLimits.maxDropout {
            last = sequence
            lost += Int(delta - 1)
            return .gap(missing: Int(delta - 1))
        }
        if delta <= 0 && delta >= -RtpSequenceLimits.maxMisorder {
            duplicates += 1
            return .old
        }
        last = sequence
        return .restart
    }
}
