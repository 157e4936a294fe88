import RtpFormats
import XCTest

final class RtpClockTests: XCTestCase {
    func testConversions() throws {
        let video = try XCTUnwrap(RtpClock(rate: 90000))
        XCTAssertEqual(video.ticks(microseconds: 1_000_000), 90000)
        XCTAssertEqual(video.ticks(microseconds: 40_000), 3600)
        XCTAssertEqual(video.ticks(microseconds: 11), 0, "floor")
        XCTAssertEqual(video.ticks(microseconds: -1), -1, "floor below zero too")
        XCTAssertEqual(video.microseconds(ticks: 3600), 40_000)
        XCTAssertEqual(video.microseconds(ticks: -1), -12)
        // Unix-epoch microseconds times 90000 would overflow a naive product.
        let now: Int64 = 1_795_684_942_637_123
        XCTAssertEqual(video.ticks(microseconds: now), now / 1_000_000 * 90000 + now % 1_000_000 * 90000 / 1_000_000)
        XCTAssertEqual(video.timestamp(microseconds: 1_000_000, base: 0xFFFF_0000), 0xFFFF_0000 &+ 90000)
        let audio = try XCTUnwrap(RtpClock(rate: 44100))
        XCTAssertEqual(audio.ticks(microseconds: audio.microseconds(ticks: 1024)), 1023, "floor both ways")
        XCTAssertEqual(audio.microseconds(ticks: 44100), 1_000_000)
        XCTAssertNil(RtpClock(rate: 0))
    }

    func testUnwrapperFollowsWrapBothWays() {
        var u = RtpTimestampUnwrapper()
        XCTAssertEqual(u.unwrap(0xFFFF_FF00), 0xFFFF_FF00)
        XCTAssertEqual(u.unwrap(0x0000_0100), 0x1_0000_0100)
        XCTAssertEqual(u.unwrap(0xFFFF_FFF0), 0xFFFF_FFF0, "a step back (B-frames) across the wrap")
        XCTAssertEqual(u.unwrap(0x7000_0000), 0x1_7000_0000)
        XCTAssertEqual(u.unwrap(0x0000_0000), 0x1_0000_0000)
    }

    func testReceptionStatistics() throws {
        var s = RtpReceptionStatistics(clock: try XCTUnwrap(RtpClock(rate: 8000)))
        // 20 ms packets arriving exactly on time, sequence wrapping, two lost.
        for seq: UInt16 in [65533, 65534, 65535, 2, 3] {
            s.record(sequence: seq, timestamp: UInt32(seq &- 65533) * 160, arrivalMicroseconds: Int64(seq &- 65533) * 20_000)
        }
        XCTAssertEqual(s.extendedHighestSequence, 0x1_0003)
        XCTAssertEqual(s.cumulativeLost, 2)
        XCTAssertEqual(s.jitter, 0)
        let block = s.reportBlock(ssrc: 5)
        XCTAssertEqual(block.fractionLost, UInt8(2 * 256 / 7))
        XCTAssertEqual(block.cumulativeLost, 2)
        XCTAssertEqual(s.reportBlock(ssrc: 5).fractionLost, 0, "nothing lost since the last report")
        // One packet 10 ms late: D = 80 ticks, jitter += (80 - 0) / 16, then back on time: += (80 - 5) / 16.
        s.record(sequence: 4, timestamp: 7 * 160, arrivalMicroseconds: 10_000 + 7 * 20_000)
        s.record(sequence: 5, timestamp: 8 * 160, arrivalMicroseconds: 8 * 20_000)
        XCTAssertEqual(s.jitter, 9)
    }
}
