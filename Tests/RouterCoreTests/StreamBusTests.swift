import Atomics
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

final class StreamBusTests: XCTestCase {
    private let started = Int32(bitPattern: MR_READER_STARTED.rawValue)
    private let notFound = Int32(bitPattern: MR_READER_NOT_FOUND.rawValue)
    private let ended = Int32(bitPattern: MR_READER_ENDED.rawValue)
    private let closed = Int32(bitPattern: MR_READER_CLOSED.rawValue)
    private let skipped = Int32(bitPattern: MR_READER_SKIPPED.rawValue)

    func testLateReaderStartsOnNewestKeyframe() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "gop"))
        for i in 0..<12 { t.write(src, seq: UInt64(i), key: i % 5 == 0, loop: 0) }
        t.sync()
        let c = Collector()
        XCTAssertEqual(c.open(t, "live", "gop", loop: 1), Int32(MR_OK))
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 2 })
        var snap = c.snapshot
        XCTAssertEqual(snap.events.first, started)
        XCTAssertEqual(snap.seqs, [10, 11], "starts at the newest keyframe (10), then the rest of its GOP")
        XCTAssertTrue(snap.flags[0] & UInt32(MR_FRAME_KEY) != 0)
        for i in 12..<20 { t.write(src, seq: UInt64(i), key: i % 5 == 0, loop: 0) }
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 10 })
        snap = c.snapshot
        XCTAssertEqual(snap.seqs, Array(10..<20))
        XCTAssertEqual(snap.dts.first, 400_000, "the source clock starts at 0 at the first publish: frame 10 is at 400 ms")
    }

    func testReaderWithNoKeyframeYetWaitsForOne() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "nokey"))
        let c = Collector()
        _ = c.open(t, "live", "nokey", loop: 0)
        XCTAssertTrue(waitUntil { c.snapshot.events.contains(started) })
        for i in 0..<6 { t.write(src, seq: UInt64(i), key: i == 3, loop: 0) }
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 3 })
        XCTAssertEqual(c.snapshot.seqs, [3, 4, 5])
    }

    func testAudioOnlySourceStartsAtOnce() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "audio", audio: true))
        for i in 0..<5 { t.write(src, seq: UInt64(i), key: false, loop: 0) }
        t.sync()
        let c = Collector()
        _ = c.open(t, "live", "audio", loop: 0)
        t.write(src, seq: 5, key: false, loop: 0)
        XCTAssertTrue(waitUntil { c.snapshot.seqs.contains(5) })
        XCTAssertEqual(c.snapshot.seqs, [4, 5], "audio-only: every frame is a start point; begin with the newest")
    }

    func testReadersOnEveryLoopGetEveryFrameInOrderOnTheirLoop() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "fan", loop: 0))
        t.write(src, seq: 0, key: true, loop: 0)
        t.sync()
        var collectors: [Collector] = []
        for i in 0..<6 {
            let c = Collector()
            let loop = t.core.pollers.loops[i % 2]
            c.onRightThread = { loop.inEventLoop }
            _ = c.open(t, "live", "fan", loop: Int32(i % 2))
            collectors.append(c)
        }
        t.sync()
        for i in 1..<300 { t.write(src, seq: UInt64(i), key: i % 50 == 0, loop: 0) }
        for c in collectors {
            XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 300 }, "got \(c.snapshot.seqs.count)")
            XCTAssertEqual(c.snapshot.seqs, Array(0..<300))
            XCTAssertEqual(c.wrongThread, 0)
        }
    }

    func testSlowReaderSkipsToNewestKeyframeAndIsCounted() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "slow"))
        t.write(src, seq: 0, key: true, loop: 0)
        let c = Collector()
        _ = c.open(t, "live", "slow", loop: 1, maxLag: 20)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })
        let reader = try XCTUnwrap(c.reader)
        let r = UnsafeSendableBox((reader, t))
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 1) }.wait()
        for i in 1..<100 { t.write(src, seq: UInt64(i), key: i % 30 == 0, loop: 0) }
        t.sync()
        XCTAssertEqual(c.snapshot.seqs, [0], "paused: nothing delivered")
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 0) }.wait()
        XCTAssertTrue(waitUntil { c.snapshot.seqs.last == 99 })
        let snap = c.snapshot
        XCTAssertEqual(Array(snap.seqs.dropFirst()), Array(90..<100), "resumes at the newest keyframe (90)")
        XCTAssertTrue(snap.flags[1] & UInt32(MR_FRAME_DISCONTINUITY) != 0)
        XCTAssertTrue(snap.events.contains(skipped))
        let skippedCount = try t.core.pollers.loops[1].submit { r.value.1.api.reader_skipped(r.value.0) }.wait()
        XCTAssertEqual(skippedCount, 89)
    }

    func testReaderWithinItsBoundCatchesUpWithoutSkipping() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "lag"))
        t.write(src, seq: 0, key: true, loop: 0)
        let c = Collector()
        _ = c.open(t, "live", "lag", loop: 1, maxLag: 50)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })
        let r = UnsafeSendableBox((try XCTUnwrap(c.reader), t))
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 1) }.wait()
        for i in 1..<40 { t.write(src, seq: UInt64(i), key: false, loop: 0) }
        t.sync()
        try t.core.pollers.loops[1].submit { r.value.1.api.reader_set_paused(r.value.0, 0) }.wait()
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 40 })
        XCTAssertEqual(c.snapshot.seqs, Array(0..<40))
        XCTAssertFalse(c.snapshot.events.contains(skipped))
    }

    func testPlayBeforePublishWaitsThenStarts() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let c = Collector()
        _ = c.open(t, "live", "later", loop: 1, waitMs: 3000)
        usleep(200_000)
        XCTAssertTrue(c.snapshot.events.isEmpty)
        let src = try XCTUnwrap(t.publish("live", "later"))
        t.write(src, seq: 0, key: true, loop: 0)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })
        XCTAssertEqual(c.snapshot.events, [started])
    }

    func testPlayWaitExpiresWithNotFound() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let c = Collector()
        _ = c.open(t, "live", "never", loop: 0, waitMs: 150)
        XCTAssertTrue(waitUntil { c.snapshot.events == [notFound, closed] })
    }

    func testPublisherReturningWithinWindowContinuesTheSameSource() throws {
        var settings = BusSettings()
        settings.reconnectWindowMs = 2000
        let t = TestHost(bus: settings)
        defer { t.shutdown() }
        let first = try XCTUnwrap(t.publish("live", "re"))
        for i in 0..<10 { t.write(first, seq: UInt64(i), key: i == 0, loop: 0) }
        let c = Collector()
        _ = c.open(t, "live", "re", loop: 1)
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 10 })
        t.closeSource(first, loop: 0)
        usleep(100_000)
        // The new publisher's own clock restarts at 0; the bus keeps readers' timestamps moving forward.
        let second = try XCTUnwrap(t.publish("live", "re", loop: 1))
        for i in 0..<10 { t.write(second, seq: UInt64(100 + i), key: i == 0, loop: 1) }
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 20 })
        let snap = c.snapshot
        XCTAssertEqual(Array(snap.seqs.suffix(10)), Array(100..<110))
        XCTAssertEqual(snap.events, [started], "no ENDED, no restart: the reader never noticed")
        XCTAssertEqual(zip(snap.dts, snap.dts.dropFirst()).filter { $0 >= $1 }.count, 0, "dts strictly increasing: \(snap.dts)")
    }

    func testPublisherNotReturningEndsReadersAfterTheWindow() throws {
        var settings = BusSettings()
        settings.reconnectWindowMs = 200
        let t = TestHost(bus: settings)
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "gone"))
        t.write(src, seq: 0, key: true, loop: 0)
        let c = Collector()
        _ = c.open(t, "live", "gone", loop: 0)
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })
        t.closeSource(src, loop: 0)
        usleep(100_000)
        XCTAssertEqual(c.snapshot.events, [started])
        XCTAssertTrue(waitUntil { c.snapshot.events == [started, ended, closed] })
        XCTAssertNil(t.core.bus.source(StreamKey(app: "live", stream: "gone")))
    }

    func testSecondPublisherIsRefusedUnlessTakeover() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let first = try XCTUnwrap(t.publish("live", "busy"))
        XCTAssertNil(t.publish("live", "busy"))
        XCTAssertTrue(String(cString: t.api.last_error()!).contains("already being published"))
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.takeover = 1
        options.loop = 0
        var second: OpaquePointer?
        let rc = "live".withCString { a in "busy".withCString { s in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return t.api.source_open(t.host, &key, &options, &second)
        } }
        XCTAssertEqual(rc, Int32(MR_OK))
        let b = t.buffer([0, 0, 0, 0, 0, 0, 0, 1])
        var f = mr_frame(track: 0, flags: 0, pts: 0, dts: 0, payload: b)
        let old = try t.core.pollers.loops[0].submit { UnsafeSendableBox(t.api.source_write(first, &f, 1)) }.wait().value
        XCTAssertEqual(old, Int32(MR_ERR_CLOSED), "the replaced publisher is told it lost the stream")
        t.api.buf_release(b)
    }

    func testDerivedRingIsMuxedOncePerSourceAndDroppedWithoutReaders() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "mux"))
        t.write(src, seq: 0, key: true, loop: 0)
        t.sync()
        CountingMuxer.reset()
        var muxer = CountingMuxer.callbacks
        let a = Collector(), b = Collector()
        _ = a.open(t, "live", "mux", loop: 0, format: "test.count", muxer: &muxer)
        _ = b.open(t, "live", "mux", loop: 1, format: "test.count", muxer: &muxer)
        XCTAssertTrue(waitUntil { a.snapshot.seqs.count >= 1 && b.snapshot.seqs.count >= 1 })
        for i in 1..<20 { t.write(src, seq: UInt64(i), key: false, loop: 0) }
        XCTAssertTrue(waitUntil { a.snapshot.seqs.count == 20 + 1 && b.snapshot.seqs.count == 21 })
        XCTAssertEqual(CountingMuxer.created.load(ordering: .relaxed), 1, "one muxer for both readers")
        XCTAssertEqual(CountingMuxer.framesMuxed.load(ordering: .relaxed), 20, "each source frame muxed once")
        XCTAssertTrue(a.snapshot.flags[0] & UInt32(MR_FRAME_HEADER) != 0, "the ring header comes first")
        XCTAssertEqual(Array(a.snapshot.seqs.dropFirst()), Array(0..<20))
        for (c, loop) in [(a, 0), (b, 1)] {
            let r = UnsafeSendableBox((try XCTUnwrap(c.reader), t))
            try t.core.pollers.loops[loop].submit { r.value.1.api.reader_close(r.value.0) }.wait()
        }
        XCTAssertTrue(waitUntil { CountingMuxer.destroyed.load(ordering: .relaxed) == 1 }, "on-demand muxing stops")
    }

    func testDerivedRingNamesAreWellKnownOrInTheOwnersNamespace() throws {
        for format in ["flv", "ws-flv", "ts", "ws-ts", "fmp4", "ws-fmp4", "rtmp", "rtsp", "test.count", "test.a.b"] {
            XCTAssertTrue(DerivedRingName.allowed(format, plugin: "test"), format)
        }
        for format in ["test", "test.", "testx.count", "other.count", "mp4", "FLV", "hls.ts"] {
            XCTAssertFalse(DerivedRingName.allowed(format, plugin: "test"), format)
        }
        // Through the host table: refused before any muxer is made, with the rule in last_error.
        let t = TestHost()
        defer { t.shutdown() }
        _ = try XCTUnwrap(t.publish("live", "named"))
        CountingMuxer.reset()
        var muxer = CountingMuxer.callbacks
        XCTAssertEqual(Collector().open(t, "live", "named", loop: 0, format: "other.count", muxer: &muxer), Int32(MR_ERR_INVALID))
        let error = t.api.last_error().map { String(cString: $0) } ?? ""
        XCTAssertTrue(error.contains("'other.count'") && error.contains("'test.'"), error)
        XCTAssertEqual(CountingMuxer.created.load(ordering: .relaxed), 0)
    }

    func testNoneReaderEventFires() throws {
        var settings = BusSettings()
        settings.noneReaderMs = 150
        let t = TestHost(bus: settings)
        defer { t.shutdown() }
        let fired = ManagedAtomic<Int>(0)
        t.core.bus.events.subscribe(mask: 1 << UInt64(MR_EVENT_NONE_READER.rawValue)) { e in
            if e.key?.stream == "idle" { fired.wrappingIncrement(ordering: .relaxed) }
        }
        _ = try XCTUnwrap(t.publish("live", "idle"))
        XCTAssertTrue(waitUntil { fired.load(ordering: .relaxed) == 1 })
    }
}

/// A muxer that counts its work and passes frames through, with a one-byte header.
enum CountingMuxer {
    static let created = ManagedAtomic<Int>(0)
    static let destroyed = ManagedAtomic<Int>(0)
    static let framesMuxed = ManagedAtomic<Int>(0)

    static func reset() {
        created.store(0, ordering: .relaxed)
        destroyed.store(0, ordering: .relaxed)
        framesMuxed.store(0, ordering: .relaxed)
    }

    nonisolated(unsafe) static let callbacks: mr_muxer_callbacks = {
        var m = mr_muxer_callbacks()
        m.size = UInt32(MemoryLayout<mr_muxer_callbacks>.size)
        m.create = { _, ring in
            CountingMuxer.created.wrappingIncrement(ordering: .relaxed)
            let api = HostAPITable.table.pointee
            var h: UInt8 = 0x46
            let header = api.buf_copy(&h, 1)
            _ = api.ring_set_header(ring, header)
            api.buf_release(header)
            return UnsafeMutableRawPointer(bitPattern: 1)
        }
        m.on_frames = { _, ring, frames, count in
            CountingMuxer.framesMuxed.wrappingIncrement(by: count, ordering: .relaxed)
            _ = HostAPITable.table.pointee.ring_write(ring, frames, count)
        }
        m.destroy = { _ in CountingMuxer.destroyed.wrappingIncrement(ordering: .relaxed) }
        return m
    }()
}
