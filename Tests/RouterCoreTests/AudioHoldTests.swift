import Foundation
import NIOCore
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// The default delivery (merge_write_ms = 0, coalesce_audio): audio waits for the next video frame, at most
/// one frame interval; video never waits.
final class AudioHoldTests: XCTestCase {
    private let video: UInt32 = 0
    private let audio: UInt32 = 1

    /// A source with an H.264 track 0 and an AAC track 1.
    private func publishAV(_ t: TestHost, _ stream: String) -> OpaquePointer? {
        var source: OpaquePointer?
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        let rc = stream.withCString { s in "live".withCString { a in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return t.api.source_open(t.host, &key, &options, &source)
        } }
        guard rc == MR_OK, let source else { return nil }
        for (codec, kind, rate) in [(MR_CODEC_H264.rawValue, MR_TRACK_VIDEO.rawValue, UInt32(90000)),
                                    (MR_CODEC_AAC.rawValue, MR_TRACK_AUDIO.rawValue, UInt32(48000))] {
            var track = mr_track_info()
            track.size = UInt32(MemoryLayout<mr_track_info>.size)
            track.codec = Int32(bitPattern: codec)
            track.kind = Int32(bitPattern: kind)
            track.clock_rate = rate
            _ = t.api.source_add_track(source, &track)
        }
        _ = t.api.source_ready(source)
        return source
    }

    /// Writes frames (track, seq, dtsUs, key) one source_write each, all from one task on loop 0, so each is
    /// its own batch to the readers' loop.
    private func write(_ t: TestHost, _ source: OpaquePointer, _ frames: [(UInt32, UInt64, Int64, Bool)]) {
        let s = UnsafeSendableBox((source, t, frames))
        try? t.core.pollers.loop(0).submit {
            let (source, t, frames) = s.value
            for (track, seq, dts, key) in frames {
                let b = t.buffer(withUnsafeBytes(of: seq.bigEndian) { Array($0) })
                var f = mr_frame(track: track, flags: key ? UInt32(MR_FRAME_KEY) : 0, pts: dts, dts: dts, payload: b)
                _ = t.api.source_write(source, &f, 1)
                t.api.buf_release(b)
            }
        }.wait()
    }

    private func run(coalesce: Bool) throws -> Collector {
        var settings = BusSettings()
        settings.coalesceAudio = coalesce
        let t = TestHost(bus: settings)
        defer { t.shutdown() }
        let src = try XCTUnwrap(publishAV(t, "av"))
        let c = Collector()
        XCTAssertEqual(c.open(t, "live", "av", loop: 1), Int32(MR_OK))
        XCTAssertTrue(waitUntil { c.snapshot.events.contains(Int32(bitPattern: MR_READER_STARTED.rawValue)) })
        write(t, src, [(video, 0, 0, true), (audio, 1, 10_000, false), (audio, 2, 31_000, false), (video, 3, 40_000, false),
                       (audio, 4, 52_000, false), (video, 5, 80_000, false)])
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 6 })
        XCTAssertEqual(c.snapshot.seqs, [0, 1, 2, 3, 4, 5], "every frame, in order")
        return c
    }

    func testAudioGoesOutWithTheNextVideoFrameInOneCall() throws {
        let c = try run(coalesce: true)
        XCTAssertEqual(c.callSizes, [1, 3, 2], "V | A A V | A V: one delivery (one socket write) per video frame")
    }

    func testWithoutCoalescingEveryFrameIsItsOwnDelivery() throws {
        let c = try run(coalesce: false)
        XCTAssertEqual(c.callSizes, [1, 1, 1, 1, 1, 1])
    }

    func testAudioAfterTheLastVideoFrameStillArrivesByTheTimer() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(publishAV(t, "tail"))
        let c = Collector()
        _ = c.open(t, "live", "tail", loop: 1)
        XCTAssertTrue(waitUntil { c.snapshot.events.contains(Int32(bitPattern: MR_READER_STARTED.rawValue)) })
        write(t, src, [(video, 0, 0, true), (video, 1, 40_000, false)])
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 2 })
        write(t, src, [(audio, 2, 50_000, false)])
        XCTAssertTrue(waitUntil(timeout: 2) { c.snapshot.seqs.count == 3 }, "held audio is delivered by the timer")
    }

    func testAudioOnlySourceIsNeverHeld() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "radio", audio: true))
        let c = Collector()
        _ = c.open(t, "live", "radio", loop: 1)
        XCTAssertTrue(waitUntil { c.snapshot.events.contains(Int32(bitPattern: MR_READER_STARTED.rawValue)) })
        for i in 0..<3 { t.write(src, seq: UInt64(i), key: false, loop: 0) }
        XCTAssertTrue(waitUntil { c.snapshot.seqs.count == 3 })
        XCTAssertEqual(c.callSizes, [1, 1, 1])
    }

    func testAudioWaitsUntilTheNextVideoFrameIsDueAndNeverOver50ms() {
        let tracks = [TrackInfo(codec: Int32(bitPattern: MR_CODEC_H264.rawValue), kind: Int32(bitPattern: MR_TRACK_VIDEO.rawValue), clockRate: 90000)]
        func frame(_ dts: Int64) -> (BusFrame, Bool) {
            (BusFrame(track: 0, flags: 0, pts: dts, dts: dts, payload: MediaBuffer(copying: UnsafeRawBufferPointer(start: nil, count: 0))), false)
        }
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var hold = AudioHold()
        XCTAssertEqual(hold.deadline(now: t0), t0 + .milliseconds(40), "before any video: a 25 fps interval")
        hold.observeVideo([frame(0), frame(33_333)], tracks: tracks, now: t0)
        XCTAssertEqual(hold.deadline(now: t0 + .milliseconds(5)), t0 + .microseconds(33_333),
                       "30 fps: audio 5 ms after a video frame waits until the next one is due, 28 ms")
        XCTAssertNil(hold.deadline(now: t0 + .milliseconds(34)), "the video frame is late: audio goes out at once")
        hold.observeVideo([frame(233_333)], tracks: tracks, now: t0)
        XCTAssertEqual(hold.deadline(now: t0), t0 + .milliseconds(50), "5 fps: capped at 50 ms")
        hold.observeVideo([frame(10_000_000)], tracks: tracks, now: t0)
        XCTAssertEqual(hold.deadline(now: t0), t0 + .milliseconds(50), "a timestamp jump is not an interval")
    }
}
