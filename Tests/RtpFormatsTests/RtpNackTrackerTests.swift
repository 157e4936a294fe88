import XCTest
@testable import RtpFormats

final class RtpNackTrackerTests: XCTestCase {
    func testAHoleIsAskedAtOnceThenRetriedUntilItArrives() {
        var t = RtpNackTracker(retryIntervalUs: 40_000, maxRetries: 3, maxAgeUs: 1_000_000)
        t.received(sequence: 10, nowUs: 0)
        t.received(sequence: 11, nowUs: 1_000)
        XCTAssertEqual(t.due(nowUs: 1_000), [])
        t.received(sequence: 14, nowUs: 2_000)
        XCTAssertEqual(t.due(nowUs: 2_000), [12, 13])
        XCTAssertEqual(t.due(nowUs: 20_000), [], "not again before the retry interval")
        t.received(sequence: 12, nowUs: 30_000)
        XCTAssertEqual(t.recovered, 1)
        XCTAssertEqual(t.due(nowUs: 42_000), [13])
        XCTAssertEqual(t.due(nowUs: 82_000), [13])
        XCTAssertEqual(t.due(nowUs: 122_000), [], "three asks made")
        XCTAssertEqual(t.pending, 0)
        XCTAssertEqual(t.abandoned, 1)
        XCTAssertEqual(t.requested, 4)
    }

    func testNumbersWrapAndReorderedPacketsAreNotAskedFor() {
        var t = RtpNackTracker()
        t.received(sequence: 65_534, nowUs: 0)
        t.received(sequence: 1, nowUs: 1)
        t.received(sequence: 65_535, nowUs: 2)   // reordered before the NACK went out
        XCTAssertEqual(t.due(nowUs: 3), [0])
    }

    func testALongHoleAsksOnlyForItsNewestPartAndARestartClearsEverything() {
        var t = RtpNackTracker(maxMissing: 8)
        t.received(sequence: 100, nowUs: 0)
        t.received(sequence: 200, nowUs: 1)
        XCTAssertEqual(t.due(nowUs: 1), Array(192...199).map(UInt16.init))
        XCTAssertEqual(t.abandoned, 91)
        t.received(sequence: 40_000, nowUs: 2)
        XCTAssertEqual(t.pending, 0)
        t.received(sequence: 40_002, nowUs: 3)
        XCTAssertEqual(t.due(nowUs: 100_000), [40_001])
    }

    func testOldHolesAreGivenUp() {
        var t = RtpNackTracker(retryIntervalUs: 1_000_000, maxAgeUs: 500_000)
        t.received(sequence: 1, nowUs: 0)
        t.received(sequence: 3, nowUs: 0)
        XCTAssertEqual(t.due(nowUs: 0), [2])
        XCTAssertEqual(t.due(nowUs: 600_000), [])
        XCTAssertEqual(t.pending, 0)
    }
}
