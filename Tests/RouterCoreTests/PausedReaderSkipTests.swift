import Atomics
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// A reader paused because its socket is full (a player on a thin link) skips while it waits, not only when
/// it resumes: its counter shows the frames it will never get, and it says so once per pause.
final class PausedReaderSkipTests: XCTestCase {
    private let skipped = Int32(bitPattern: MR_READER_SKIPPED.rawValue)

    func testAPausedReaderSkipsWhileItWaitsAndSaysSoOncePerPause() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "thin"))
        t.write(src, seq: 0, key: true, loop: 0)
        let c = Collector()
        _ = c.open(t, "live", "thin", loop: 1, maxLag: 20)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })
        let r = UnsafeSendableBox((try XCTUnwrap(c.reader), t))
        func setPaused(_ on: Int32) throws { try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, on) }.wait() }
        func skippedCount() throws -> Int64 { try t.core.pollers.loops[1].submit { r.value.1.api.reader_skipped(r.value.0) }.wait() }

        try setPaused(1)
        for i in 1..<100 { t.write(src, seq: UInt64(i), key: i % 30 == 0, loop: 0) }
        t.sync()
        XCTAssertEqual(c.snapshot.seqs, [0], "paused: nothing delivered")
        // Past its lag it went to the newest keyframe each time one came (30, 60, 90), still paused.
        XCTAssertEqual(try skippedCount(), 89, "counted while paused")
        XCTAssertEqual(c.snapshot.events.filter { $0 == skipped }.count, 1, "said once for the whole pause")

        try setPaused(0)
        XCTAssertTrue(waitUntil { c.snapshot.seqs.last == 99 })
        XCTAssertEqual(Array(c.snapshot.seqs.dropFirst()), Array(90..<100), "resumes at the newest keyframe")
        XCTAssertTrue(c.snapshot.flags[1] & UInt32(MR_FRAME_DISCONTINUITY) != 0)
        XCTAssertEqual(c.snapshot.events.filter { $0 == skipped }.count, 1)

        // A second pause is a second episode: said again.
        try setPaused(1)
        for i in 100..<160 { t.write(src, seq: UInt64(i), key: i % 30 == 0, loop: 0) }
        t.sync()
        XCTAssertEqual(try skippedCount(), 89 + 50, "100..<150 skipped to 150")
        XCTAssertEqual(c.snapshot.events.filter { $0 == skipped }.count, 2)
    }

    func testAReaderPausedBeforeItsFirstFrameDoesNotSkip() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "held"))
        let c = Collector()
        _ = c.open(t, "live", "held", loop: 1, maxLag: 20)
        XCTAssertTrue(waitUntil { c.reader != nil })
        let r = UnsafeSendableBox((try XCTUnwrap(c.reader), t))
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 1) }.wait()
        for i in 0..<100 { t.write(src, seq: UInt64(i), key: i % 30 == 0, loop: 0) }
        t.sync()
        XCTAssertFalse(c.snapshot.events.contains(skipped), "not started (RTSP before PLAY): not behind")
        XCTAssertEqual(try t.core.pollers.loops[1].submit { r.value.1.api.reader_skipped(r.value.0) }.wait(), 0)
    }
}
