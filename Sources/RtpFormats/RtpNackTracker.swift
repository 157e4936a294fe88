/// Which sequence numbers of one RTP stream a receiver asks for again (RFC 4585 6.2.1 generic NACK), and when.
///
/// Record every packet as it arrives (before reordering). A hole opens when a packet jumps past the next
/// expected number; each missing number is asked for at once and again every `retryIntervalUs` until it
/// arrives, `maxRetries` asks were made, or it is older than `maxAgeUs` (the jitter buffer has given it up by
/// then). At most `maxMissing` numbers are tracked: a longer hole is a burst or an outage, and only its newest
/// part is worth asking for. Time is an input: no clock is read here.
public struct RtpNackTracker: Sendable {
    public let maxMissing: Int
    public let retryIntervalUs: Int64
    public let maxRetries: Int
    public let maxAgeUs: Int64

    /// Sequence numbers put in NACKs, repeats included.
    public private(set) var requested = 0
    /// Missing packets that arrived after being noticed missing (retransmitted, or just late).
    public private(set) var recovered = 0
    /// Missing packets given up on.
    public private(set) var abandoned = 0

    private struct Missing: Sendable {
        var index: Int64
        var since: Int64
        var askedAt: Int64?
        var asks = 0
    }

    /// Sorted by extended index.
    private var missing: [Missing] = []
    private var highest: Int64?
    private var highestSequence: UInt16 = 0

    public init(maxMissing: Int = 256, retryIntervalUs: Int64 = 40_000, maxRetries: Int = 5, maxAgeUs: Int64 = 1_000_000) {
        self.maxMissing = max(1, maxMissing)
        self.retryIntervalUs = max(1, retryIntervalUs)
        self.maxRetries = max(1, maxRetries)
        self.maxAgeUs = max(1, maxAgeUs)
    }

    /// Numbers currently awaited.
    public var pending: Int { missing.count }

    public mutating func received(sequence: UInt16, nowUs: Int64) {
        guard let top = highest else {
            highest = Int64(sequence)
            highestSequence = sequence
            return
        }
        let index = top + Int64(Int16(bitPattern: sequence &- highestSequence))
        let ahead = index - top
        if ahead > RtpSequenceLimits.maxDropout || ahead < -RtpSequenceLimits.maxMisorder {
            // The sender restarted its numbering: nothing of the old one is worth asking for.
            abandoned += missing.count
            missing.removeAll()
            highest = Int64(sequence)
            highestSequence = sequence
            return
        }
        if ahead > 0 {
            let first = max(top + 1, index - Int64(maxMissing))
            if first > top + 1 { abandoned += Int(first - top - 1) }
            for i in first..<index { missing.append(Missing(index: i, since: nowUs)) }
            if missing.count > maxMissing {
                abandoned += missing.count - maxMissing
                missing.removeFirst(missing.count - maxMissing)
            }
            highest = index
            highestSequence = sequence
        } else if let at = position(of: index) {
            missing.remove(at: at)
            recovered += 1
        }
    }

    /// The numbers to put in a NACK now, in sequence order; empty when none is due.
    public mutating func due(nowUs: Int64) -> [UInt16] {
        var out: [UInt16] = []
        var kept: [Missing] = []
        kept.reserveCapacity(missing.count)
        for var m in missing {
            if nowUs - m.since > maxAgeUs || (m.asks >= maxRetries && nowUs - (m.askedAt ?? nowUs) >= retryIntervalUs) {
                abandoned += 1
                continue
            }
            if m.asks < maxRetries, m.askedAt.map({ nowUs - $0 >= retryIntervalUs }) ?? true {
                m.askedAt = nowUs
                m.asks += 1
                out.append(UInt16(truncatingIfNeeded: m.index))
            }
            kept.append(m)
        }
        missing = kept
        requested += out.count
        return out
    }

    private func position(of index: Int64) -> Int? {
        var lo = 0, hi = missing.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if missing[mid].index < index { lo = mid + 1 } else { hi = mid }
        }
        return lo < missing.count && missing[lo].index == index ? lo : nil
    }
}
