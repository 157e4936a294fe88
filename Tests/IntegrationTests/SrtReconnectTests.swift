import Foundation
import XCTest

/// ZLMediaKit's continue_push_ms for SRT publishers: an encoder that dies and comes back within the
/// window continues its stream, and a player reading it over SRT keeps playing across the gap.
final class SrtReconnectTests: XCTestCase {
    func testPublisherKilledOrStoppedReturningWithinContinuePushMsKeepsTheSrtPlayerPlaying() throws {
        let srt = freePort(), http = freePort()
        let hooks = try HookReceiver()
        try hooks.rules(["on_publish": ["code": 0, "continue_push_ms": 10_000]])
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http, extra: """
            [hook]
            enable = true
            on_publish = "\(hooks.url("on_publish"))"
            [srt]
            port = \(srt)
            """)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publish = SrtTools.url(port: srt, streamId: "#!::r=live/re,m=publish")
        let first = try MediaTools.publish(publish, seconds: 30, format: "mpegts")
        defer { SrtTools.stop(first) }
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)
        XCTAssertTrue(s.waitForLog("waits 10000 ms for its publisher to return"), s.log)

        // 16 s of media through one SRT connection: more than any one publisher sends before it leaves.
        let out = SrtTools.temp("re.ts")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let recorder = try SrtTools.process("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
            "-i", SrtTools.url(port: srt, streamId: "#!::r=live/re,m=request"), "-t", "16", "-c", "copy", "-f", "mpegts", out])
        defer { SrtTools.stop(recorder) }
        XCTAssertTrue(s.waitForLog("player live/re to 127.0.0.1"), s.log)
        Thread.sleep(forTimeInterval: 4)
        // SIGKILL: no SRT shutdown reaches the server, the old connection would linger until its peer idle
        // timeout; the encoder's return must not be refused as a second publisher meanwhile.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        Thread.sleep(forTimeInterval: 2)
        let second = try MediaTools.publish(publish, seconds: 30, format: "mpegts")
        defer { SrtTools.stop(second) }
        XCTAssertTrue(s.waitForLog(": publishing", count: 2, timeout: 15), s.log)
        XCTAssertTrue(s.log.contains("replaced by 127.0.0.1"), s.log)
        Thread.sleep(forTimeInterval: 4)
        // SIGTERM: ffmpeg closes its SRT socket, the session ends at once and the window starts.
        second.terminate()
        second.waitUntilExit()
        Thread.sleep(forTimeInterval: 1)
        let third = try MediaTools.publish(publish, seconds: 30, format: "mpegts")
        defer { SrtTools.stop(third) }
        XCTAssertTrue(s.waitForLog(": publishing", count: 3, timeout: 15), s.log)
        XCTAssertTrue(s.waitForLog("resumes within the reconnect window"), s.log)

        XCTAssertTrue(waitUntil(timeout: 40) { !recorder.isRunning }, "the recorder got its 16 s: \(s.log)")
        XCTAssertEqual(recorder.terminationStatus, 0)
        XCTAssertFalse(s.log.contains("ended: the stream ended"), s.log)
        let p = try MediaTools.probe(out)
        // About 5 s of the first publisher (GOP cache included) at 25 fps, then the second, then the third.
        XCTAssertGreaterThan(p.videoFrames, 330, "\(p.videoFrames) frames: the player kept playing across both returns")
        XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), "video timestamps move forward across the returns")
        XCTAssertGreaterThan(p.audioFrames, 500)
    }
}
