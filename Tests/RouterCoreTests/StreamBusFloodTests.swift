import Atomics
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// A source written faster than a reader's loop runs (a publisher flooding far above real time): the frames
/// queued for that loop stay within a ring's worth, and its readers go on from a keyframe, the loss counted.
final class StreamBusFloodTests: XCTestCase {
    func testABusyReaderLoopGetsAtMostARingOfQueuedFramesThenSkipsToAKeyframe() throws {
        var settings = BusSettings()
        settings.ringCapacity = 64
        settings.ringSoftLimit = 16
        let t = TestHost(threads: 2, bus: settings)
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "flood", loop: 0))
        t.write(src, seq: 0, key: true, loop: 0)
        let c = Collector()
        _ = c.open(t, "live", "flood", loop: 1, maxLag: 10_000)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })

        // The reader's loop is busy while the source writes 1,000 frames.
        let busy = DispatchSemaphore(value: 0)
        t.core.pollers.loops[1].execute { busy.wait() }
        let before = LiveObjects.snapshot()["MediaBuffer"] ?? 0
        for i in 1..<1000 { t.write(src, seq: UInt64(i), key: i % 100 == 0, loop: 0) }
        _ = try t.core.pollers.loops[0].submit {}.wait()
        let held = (LiveObjects.snapshot()["MediaBuffer"] ?? 0) - before
        XCTAssertLessThanOrEqual(held, 64 + 64 + 2, "buffers held for a busy loop: a ring in the source, a ring in flight")
        busy.signal()
        // The reader's loop takes what was queued before the next writes: a frame written while it still had a
        // ring in flight would be dropped too, and the reader would wait for the keyframe after it.
        _ = try t.core.pollers.loops[1].submit {}.wait()
        // Then at a pace the reader's loop keeps up with (a ring of 64 in flight is the bound, so 16 at a time).
        for i in 1000..<1100 {
            t.write(src, seq: UInt64(i), key: i % 100 == 0, loop: 0)
            if i % 16 == 15 { t.sync() }
        }

        XCTAssertTrue(waitUntil { c.snapshot.seqs.last == 1099 }, "\(c.snapshot.seqs.suffix(5))")
        let snap = c.snapshot
        // What was queued before the bound plays on; then the next keyframe, marked as a discontinuity.
        XCTAssertEqual(snap.seqs, Array(0...64) + Array(1000..<1100))
        XCTAssertTrue(snap.flags.count > 65 && snap.flags[65] & UInt32(MR_FRAME_DISCONTINUITY) != 0)
        XCTAssertEqual(snap.events.filter { $0 == Int32(bitPattern: MR_READER_SKIPPED.rawValue) }.count, 1, "one skip said")
        let r = UnsafeSendableBox((try XCTUnwrap(c.reader), t))
        let skipped = try t.core.pollers.loops[1].submit { r.value.1.api.reader_skipped(r.value.0) }.wait()
        XCTAssertEqual(Int(skipped), 935, "frames 65 to 999 counted as skipped")
    }
}
