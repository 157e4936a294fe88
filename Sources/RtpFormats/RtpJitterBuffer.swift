/// Puts RTP packets of one stream received over UDP back in sequence order, bounded in packets held and in how
/// long a gap is waited for.
///
/// Push every packet as it arrives, then pop until nil. A gap is given up (its packets counted lost, the next
/// popped packet flagged `gapBefore` so the caller can call the depacketizer's `lost()`) once more than
/// `maxDelayPackets` later packets wait behind it. Sequence numbers wrap (65535 -> 0) transparently, and a sender
/// that restarts its numbering (a jump beyond RFC 3550 A.1's limits, confirmed by a second packet) is followed,
/// its first packet flagged `gapBefore` too.
/// The first packet pushed sets the start: anything older is late.
public struct RtpJitterBuffer: Sendable {
    public let capacity: Int
    public let maxDelayPackets: Int

    /// Packets pushed.
    public private(set) var received = 0
    /// Packets never delivered: missing when their gap was given up, or pushed out by a full buffer.
    public private(set) var lost = 0
    /// Packets already held when pushed again.
    public private(set) var duplicates = 0
    /// Packets that arrived after a later one and were put back in order.
    public private(set) var reordered = 0
    /// Packets dropped because their place was already popped or given up, or that were too far out of sequence.
    public private(set) var late = 0
    /// Times the sender's numbering restarted.
    public private(set) var restarts = 0

    private struct Entry: Sendable {
        var index: Int64
        var packet: RtpPacket
        /// The sender restarted right before this packet: whatever was being assembled is to be dropped.
        var restart = false
    }

    /// Held packets, sorted by extended index, all at or after `next`.
    private var entries: [Entry] = []
    /// Extended index of the next packet to pop; nil until the first push.
    private var next: Int64?
    private var highest: Int64 = 0
    private var highestSequence: UInt16 = 0
    /// Gaps at or before this index are given up without waiting (numbering restarted after them).
    private var skipThrough = Int64.min
    /// The next pop reports a gap even if contiguous (a packet was pushed out by a full buffer).
    private var gapPending = false
    /// A packet far out of sequence, kept until the next one confirms a restart or not.
    private var restartCandidate: RtpPacket?

    /// `maxDelayPackets` is kept below `capacity` so a gap is always given up before the buffer overflows.
    public init(capacity: Int = 128, maxDelayPackets: Int = 32) {
        self.capacity = max(1, capacity)
        self.maxDelayPackets = min(max(0, maxDelayPackets), self.capacity - 1)
    }

    /// Packets held.
    public var count: Int { entries.count }

    public mutating func push(_ packet: RtpPacket) {
        received += 1
        guard next != nil else {
            next = Int64(packet.sequence)
            highest = Int64(packet.sequence)
            highestSequence = packet.sequence
            entries.append(Entry(index: highest, packet: packet))
            return
        }
        var index = highest + Int64(Int16(bitPattern: packet.sequence &- highestSequence))
        let ahead = index - highest
        if ahead > RtpSequenceLimits.maxDropout || ahead < -RtpSequenceLimits.maxMisorder {
            guard let candidate = restartCandidate, packet.sequence == candidate.sequence &+ 1 else {
                if restartCandidate != nil { late += 1 }
                restartCandidate = packet
                return
            }
            // Two consecutive packets far away: the numbering restarted. Continue the index after the highest
            // so held packets still come out first, and stop waiting for gaps in the old numbering.
            restartCandidate = nil
            restarts += 1
            skipThrough = highest
            highest += 1
            highestSequence = candidate.sequence
            insert(Entry(index: highest, packet: candidate, restart: true), at: entries.endIndex)
            index = highest + 1
        } else if restartCandidate != nil {
            restartCandidate = nil
            late += 1
        }
        guard let n = next, index >= n else {
            late += 1
            return
        }
        let position = insertionPoint(index)
        if position < entries.endIndex && entries[position].index == index {
            duplicates += 1
            return
        }
        if index < highest { reordered += 1 }
        if index > highest {
            highest = index
            highestSequence = packet.sequence
        }
        insert(Entry(index: index, packet: packet), at: position)
    }

    /// The next packet in order, or nil while the next one is still awaited (or nothing is held).
    /// `gapBefore`: packets before this one were given up.
    public mutating func pop() -> (packet: RtpPacket, gapBefore: Bool)? {
        guard let head = entries.first, let n = next else { return nil }
        var gap = gapPending || head.restart
        if head.index != n {
            guard entries.count > maxDelayPackets || head.index <= skipThrough else { return nil }
            lost += Int(head.index - n)
            gap = true
        }
        entries.removeFirst()
        next = head.index + 1
        gapPending = false
        return (head.packet, gap)
    }

    /// Everything held, in order, giving up every gap (end of stream).
    public mutating func flush() -> [(packet: RtpPacket, gapBefore: Bool)] {
        skipThrough = highest
        var out: [(packet: RtpPacket, gapBefore: Bool)] = []
        while let p = pop() { out.append(p) }
        return out
    }

    private func insertionPoint(_ index: Int64) -> Int {
        var lo = entries.startIndex, hi = entries.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].index < index { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private mutating func insert(_ entry: Entry, at position: Int) {
        entries.insert(entry, at: position)
        guard entries.count > capacity else { return }
        // Full (the caller is not popping): the oldest packet makes room, delivered as lost.
        let dropped = entries.removeFirst()
        if let n = next { lost += Int(dropped.index - n) + 1 }
        next = dropped.index + 1
        gapPending = true
    }
}
