@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// What a stream keeps in memory: a source nobody reads holds its newest GOP and no more (what a future
/// reader starts from); a reader's loop keeps the whole window the reader may lag within.
final class RingRetentionTests: XCTestCase {
    private func frame(_ seq: Int) -> BusFrame {
        BusFrame(track: 0, flags: 0, pts: Int64(seq), dts: Int64(seq), payload: MediaBuffer(bytes: withUnsafeBytes(of: UInt64(seq).bigEndian) { Array($0) }))
    }

    private func seqs(_ ring: FrameRing) -> [Int] {
        var out: [Int] = []
        ring.withCFrames(from: ring.tail, to: ring.head) { run in out += run.map { Int($0.pts) } }
        return out
    }

    func testGopOnlyRingKeepsTheNewestGopWhileAWindowRingKeepsEverything() {
        let gopOnly = FrameRing(capacity: 4096, softLimit: 1024)
        gopOnly.keepsOnlyLastGop = true
        let window = FrameRing(capacity: 4096, softLimit: 1024)
        for i in 0..<1000 {
            gopOnly.append(frame(i), gopStart: i % 50 == 0)
            window.append(frame(i), gopStart: i % 50 == 0)
        }
        XCTAssertEqual(seqs(gopOnly), Array(950..<1000), "the GOP from keyframe 950 only")
        XCTAssertEqual(gopOnly.slotCount, 64, "and no slots for the frames it let go")
        XCTAssertEqual(gopOnly.snapshotFromLastGop().map { Int($0.0.pts) }, Array(950..<1000))
        XCTAssertEqual(seqs(window), Array(0..<1000), "within gop_cache_frames everything stays")
        XCTAssertEqual(window.slotCount, 1024, "grown by doubling as frames stayed")
        XCTAssertEqual(window.payloadBytes(from: 10, to: 1000), 990 * 8, "byte counts survive the growth")
        XCTAssertTrue(window.isGopStart(500))
        XCTAssertEqual(window.nextGopStart(from: 501), 550)
        window.removeAll()
        XCTAssertEqual(window.slotCount, 64, "an emptied ring gives its slots back")
    }

    func testTurningGopOnlyOnTrimsAtOnceAndShrinks() {
        let ring = FrameRing(capacity: 4096, softLimit: 4096)
        for i in 0..<600 { ring.append(frame(i), gopStart: i % 200 == 0) }
        XCTAssertEqual(ring.count, 600)
        ring.keepsOnlyLastGop = true
        XCTAssertEqual(seqs(ring), Array(400..<600))
        XCTAssertLessThan(ring.slotCount, 1024)
        ring.append(frame(600), gopStart: false)
        XCTAssertEqual(seqs(ring), Array(400..<601))
    }

    /// Slots follow the GOP length down, half at a time, and a steady GOP that needs more than the first 64
    /// slots keeps its slots instead of resizing at every keyframe.
    func testGopOnlyRingSlotsFollowShorterGopsWithoutChurn() {
        let ring = FrameRing(capacity: 4096, softLimit: 1024)
        ring.keepsOnlyLastGop = true
        var seq = 0
        func gop(_ length: Int) { for i in 0..<length { ring.append(frame(seq), gopStart: i == 0); seq += 1 } }
        gop(1000)
        gop(1)
        XCTAssertEqual(ring.slotCount, 1024, "grown for a 1,000-frame GOP")
        XCTAssertEqual(ring.count, 1)
        gop(100)
        XCTAssertEqual(ring.slotCount, 512, "a short GOP finished: half given back")
        for _ in 0..<5 { gop(100) }
        XCTAssertEqual(ring.slotCount, 256, "down to at most four times the GOP, and there it stays")
        XCTAssertEqual(ring.count, 100)
    }

    /// Through the bus: with no reader the source's home ring holds the newest GOP; a reader that stops reading
    /// for a while still gets every frame since it joined (its loop's copy keeps the window), and the home
    /// ring stays at one GOP all along.
    func testSourceWithoutReadersHoldsOneGopAndAReaderStillGetsItsWholeWindow() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "idle"))
        for i in 0..<100 { t.write(src, seq: UInt64(i), key: i % 30 == 0, loop: 0) }
        t.sync()
        let source = try XCTUnwrap(t.core.bus.source(StreamKey(app: "live", stream: "idle")))
        let hub = UnsafeSendableBox(source.hub)
        func retained() throws -> Int { try source.home.submit { hub.value.retainedFrames }.wait() }
        XCTAssertEqual(try retained(), 10, "frames 90-99: the newest GOP, nothing older")

        let c = Collector()
        _ = c.open(t, "live", "idle", loop: 1, maxLag: 512)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == Array(90..<100) })
        let r = UnsafeSendableBox((try XCTUnwrap(c.reader), t))
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 1) }.wait()
        for i in 100..<400 { t.write(src, seq: UInt64(i), key: i % 30 == 0, loop: 0) }
        t.sync()
        XCTAssertEqual(try retained(), 10, "frames 390-399, with a reader too")
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 0) }.wait()
        XCTAssertTrue(waitUntil { c.snapshot.seqs.last == 399 })
        XCTAssertEqual(c.snapshot.seqs, Array(90..<400), "300 frames behind, all still there for the reader")
        XCTAssertFalse(c.snapshot.events.contains(Int32(bitPattern: MR_READER_SKIPPED.rawValue)))
    }
}
