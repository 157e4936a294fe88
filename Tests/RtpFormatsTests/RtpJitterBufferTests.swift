import RtpFormats
import TestSupport
import XCTest

final class RtpJitterBufferTests: XCTestCase {
    private func packet(_ seq: UInt16) -> RtpPacket {
        RtpPacket(marker: false, payloadType: 96, sequence: seq, timestamp: UInt32(seq), ssrc: 1, payload: [UInt8(truncatingIfNeeded: seq)][...])
    }

    /// Pushes each sequence number and pops whatever is ready after each push.
    private func run(_ buffer: inout RtpJitterBuffer, _ sequences: [UInt16]) -> [(UInt16, Bool)] {
        var out: [(UInt16, Bool)] = []
        for s in sequences {
            buffer.push(packet(s))
            while let (p, gap) = buffer.pop() { out.append((p.sequence, gap)) }
        }
        return out
    }

    func testReordersAndCounts() {
        var b = RtpJitterBuffer()
        let out = run(&b, [10, 12, 13, 11, 14])
        XCTAssertEqual(out.map(\.0), [10, 11, 12, 13, 14])
        XCTAssertFalse(out.contains { $0.1 })
        XCTAssertEqual(b.reordered, 1)
        XCTAssertEqual(b.received, 5)
        XCTAssertEqual(b.lost, 0)
    }

    func testDuplicatesAndLatePacketsAreDropped() {
        var b = RtpJitterBuffer()
        let out = run(&b, [5, 7, 7, 5, 6, 6])
        XCTAssertEqual(out.map(\.0), [5, 6, 7])
        XCTAssertEqual(b.duplicates, 1, "7 again while held")
        XCTAssertEqual(b.late, 2, "5 and 6 again after being popped")
    }

    func testWrapAround() {
        var b = RtpJitterBuffer()
        let out = run(&b, [65533, 65535, 65534, 1, 0, 2])
        XCTAssertEqual(out.map(\.0), [65533, 65534, 65535, 0, 1, 2])
        XCTAssertEqual(b.lost, 0)
        XCTAssertEqual(b.reordered, 2)
    }

    func testGapIsGivenUpAfterMaxDelayPackets() {
        var b = RtpJitterBuffer(capacity: 16, maxDelayPackets: 3)
        XCTAssertEqual(run(&b, [65534, 65535]).map(\.0), [65534, 65535])
        // 0 is missing: three later packets wait, the fourth releases them with the gap flagged on the first.
        XCTAssertTrue(run(&b, [1, 2, 3]).isEmpty)
        let out = run(&b, [4])
        XCTAssertEqual(out.map(\.0), [1, 2, 3, 4])
        XCTAssertEqual(out.map(\.1), [true, false, false, false])
        XCTAssertEqual(b.lost, 1)
        XCTAssertTrue(run(&b, [0]).isEmpty, "too late")
        XCTAssertEqual(b.late, 1)
    }

    func testCapacityBoundsWhatIsHeldWhenNobodyPops() {
        var b = RtpJitterBuffer(capacity: 4, maxDelayPackets: 32)
        XCTAssertEqual(b.maxDelayPackets, 3)
        for s: UInt16 in 1...10 {
            b.push(packet(s))
            XCTAssertLessThanOrEqual(b.count, 4)
        }
        var out: [(UInt16, Bool)] = []
        while let (p, gap) = b.pop() { out.append((p.sequence, gap)) }
        XCTAssertEqual(out.map(\.0), [7, 8, 9, 10])
        XCTAssertEqual(out.map(\.1), [true, false, false, false])
        XCTAssertEqual(b.lost, 6)
    }

    func testSenderRestartIsFollowedAndAStrayPacketIgnored() {
        var b = RtpJitterBuffer()
        XCTAssertEqual(run(&b, [100, 101, 40000, 102]).map(\.0), [100, 101, 102], "one far packet is a stray")
        let out = run(&b, [104, 30000, 30001, 30002])
        // 104 waits for 103; the restart gives that gap up and flags its first packet.
        XCTAssertEqual(out.map(\.0), [104, 30000, 30001, 30002])
        XCTAssertEqual(out.map(\.1), [true, true, false, false])
        XCTAssertEqual(b.restarts, 1)
        XCTAssertEqual(b.lost, 1)
    }

    func testFlushGivesUpEveryGap() {
        var b = RtpJitterBuffer()
        XCTAssertEqual(run(&b, [1, 3, 6]).map(\.0), [1])
        let rest = b.flush()
        XCTAssertEqual(rest.map(\.packet.sequence), [3, 6])
        XCTAssertEqual(rest.map(\.gapBefore), [true, true])
        XCTAssertEqual(b.lost, 3)
        XCTAssertEqual(b.count, 0)
    }

    func testRandomArrivalOrderNeverLosesOrDuplicates() {
        var rng = SplitMix64(seed: 128)
        var b = RtpJitterBuffer()
        // Sequence numbers through a wrap, each after the first moved up to 10 places from where it belongs (the
        // first packet pushed sets the start).
        var order = (1..<3000).map { (UInt16(truncatingIfNeeded: 64000 + $0), Double($0) + Double.random(in: 0..<10, using: &rng)) }
        order.sort { $0.1 < $1.1 }
        let out = run(&b, [64000] + order.map(\.0)) + b.flush().map { ($0.packet.sequence, $0.gapBefore) }
        let expected = (0..<3000).map { UInt16(truncatingIfNeeded: 64000 + $0) }
        XCTAssertEqual(out.count, expected.count)
        XCTAssertTrue(out.map(\.0) == expected, "first difference at \(String(describing: zip(out.map(\.0), expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset))")
        XCTAssertFalse(out.contains { $0.1 })
        XCTAssertEqual(b.lost, 0)
        XCTAssertGreaterThan(b.reordered, 100)
    }

    func testSequenceTrackerForOrderedTransports() {
        var t = RtpSequenceTracker()
        XCTAssertEqual(t.track(65534), .next)
        XCTAssertEqual(t.track(65535), .next)
        XCTAssertEqual(t.track(2), .gap(missing: 2))
        XCTAssertEqual(t.track(2), .old)
        XCTAssertEqual(t.track(1), .old)
        XCTAssertEqual(t.track(3), .next)
        XCTAssertEqual(t.track(20000), .restart)
        XCTAssertEqual(t.track(20001), .next)
        XCTAssertEqual(t.lost, 2)
        XCTAssertEqual(t.duplicates, 2)
        XCTAssertEqual(t.received, 8)
    }
}
