/// What a receiver reports about one source in RTCP (RFC 3550 6.4.1): loss counted from sequence numbers
/// (A.3) and interarrival jitter (A.8). Record every packet as it arrives, before any reordering.
public struct RtpReceptionStatistics: Sendable {
    public let clock: RtpClock

    private var base: Int64?
    private var highest: Int64 = 0
    private var highestSequence: UInt16 = 0
    /// Packets counted (duplicates included, as RFC 3550 A.3 does).
    public private(set) var received = 0
    private var expectedPrior = 0
    private var receivedPrior = 0
    private var lastTransit: UInt32?
    private var restartCandidate: UInt16?
    /// Jitter scaled by 16, the fixed-point form of A.8.
    private var jitterQ4: Int64 = 0

    public init(clock: RtpClock) { self.clock = clock }

    public mutating func record(sequence: UInt16, timestamp: UInt32, arrivalMicroseconds: Int64) {
        if base == nil {
            base = Int64(sequence)
            highest = Int64(sequence)
            highestSequence = sequence
        } else {
            let index = highest + Int64(Int16(bitPattern: sequence &- highestSequence))
            if index - highest > RtpSequenceLimits.maxDropout || index - highest < -RtpSequenceLimits.maxMisorder {
                // Far out of sequence: a stray packet, unless the next one follows it (RFC 3550 A.1). Then the
                // sender restarted its numbering: count afresh rather than report thousands lost.
                guard restartCandidate == sequence &- 1 else {
                    restartCandidate = sequence
                    return
                }
                restart(sequence &- 1)
            } else if index > highest {
                highest = index
                highestSequence = sequence
            }
        }
        received += 1
        let transit = UInt32(truncatingIfNeeded: clock.ticks(microseconds: arrivalMicroseconds)) &- timestamp
        if let last = lastTransit {
            let d = abs(Int64(Int32(bitPattern: transit &- last)))
            jitterQ4 += d - ((jitterQ4 + 8) >> 4)
        }
        lastTransit = transit
    }

    /// The extended highest sequence number received (cycles in the high 16 bits).
    public var extendedHighestSequence: UInt32 { UInt32(truncatingIfNeeded: highest) }

    public var expected: Int { base.map { Int(highest - $0) + 1 } ?? 0 }

    public var cumulativeLost: Int { expected - received }

    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32 { UInt32(clamping: jitterQ4 >> 4) }

    /// A report block for this source; the fraction lost covers the time since the previous call.
    public mutating func reportBlock(ssrc: UInt32, lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) -> RtcpReportBlock {
        let expectedInterval = expected - expectedPrior
        let receivedInterval = received - receivedPrior
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        let fraction = expectedInterval > 0 && lostInterval > 0 ? min(255, (lostInterval << 8) / expectedInterval) : 0
        return RtcpReportBlock(ssrc: ssrc, fractionLost: UInt8(fraction), cumulativeLost: Int32(clamping: cumulativeLost),
                               extendedHighestSequence: extendedHighestSequence, jitter: jitter,
                               lastSenderReport: lastSenderReport, delaySinceLastSenderReport: delaySinceLastSenderReport)
    }

    /// Starts counting again at `sequence`, the candidate that announced the restart (counted as received).
    private mutating func restart(_ sequence: UInt16) {
        base = Int64(sequence)
        highest = Int64(sequence) + 1
        highestSequence = sequence &+ 1
        restartCandidate = nil
        received = 1
        expectedPrior = 0
        receivedPrior = 0
    }
}
