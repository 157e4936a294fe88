import Foundation
import XCTest

/// ZLMediaKit's continue_push_ms for SRT publishers: an encoder that dies and comes back within the
/// window continues its stream, and a player reading it over SRT keeps playing across the gap. A publisher
/// that went silent is replaced after replace_silent_publisher_ms, and one that vanished without an SRT
/// shutdown is dropped after peer_idle_timeout_ms.
final class SrtReconnectTests: XCTestCase {
    /// A server with `[srt] extra`, and a libsrt caller publishing live/`stream` that sends nothing, once
    /// getAllSession lists it: the time it was first seen listed.
    private func silentPublisher(_ extra: String, stream: String, name: String = #function) throws -> (ServerProcess, Int, Int, Process, Date) {
        let srt = freePort(), http = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http, extra: "[srt]\nport = \(srt)\n\(extra)", name: name)
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let holder = try SrtTools.process("/usr/bin/python3", ["\(SrtTools.clients)/srt_client.py", "127.0.0.1", String(srt),
                                                               "#!::r=live/\(stream),m=publish", "--hold", "30"])
        XCTAssertTrue(waitUntil(timeout: 10) { ((try? SrtTools.sessions(http)) ?? []).count == 1 }, s.log)
        return (s, srt, http, holder, Date())
    }

    /// replace_silent_publisher_ms = 3000: a second caller 2 s into the first one's silence is refused 1409
    /// (the default 1500 would let it in), one after 3.5 s replaces it.
    func testReplaceSilentPublisherMsIsTheSilenceThatLetsACallerIn() throws {
        let (s, srt, _, holder, seen) = try silentPublisher("replace_silent_publisher_ms = 3000", stream: "rs")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { SrtTools.stop(holder) }
        let streamId = "#!::r=live/rs,m=publish"
        Thread.sleep(until: seen.addingTimeInterval(2))
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: streamId), "rejected 1409", "2 s of silence: not yet replaced\n\(s.log)")
        Thread.sleep(until: seen.addingTimeInterval(3.5))
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: streamId), "connected", "3.5 s of silence: replaced\n\(s.log)")
        XCTAssertTrue(s.log.contains("replaced by 127.0.0.1"), s.log)
    }

    /// peer_idle_timeout_ms = 7000: a publisher killed without an SRT shutdown (SIGKILL) leaves getAllSession
    /// 6 to 7 s later (its last keepalive came up to 1 s before the kill), not after the default 5 s. Shorter
    /// values do not show: libsrt also waits for 16 expiry periods, about 5 s without an RTT measured.
    func testPeerIdleTimeoutDropsAVanishedPeer() throws {
        let (s, _, http, holder, _) = try silentPublisher("peer_idle_timeout_ms = 7000", stream: "pi")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { SrtTools.stop(holder) }
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let killed = Date()
        XCTAssertTrue(waitUntil(timeout: 10) { (try? SrtTools.sessions(http))?.isEmpty == true }, s.log)
        let gone = Date().timeIntervalSince(killed)
        print("peer_idle_timeout_ms 7000: the killed publisher left the session list after \(gone) s")
        XCTAssertGreaterThan(gone, 5.5, "kept past the default 5 s: \(s.log)")
        XCTAssertLessThan(gone, 9, "dropped near 7 s: \(s.log)")
    }

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
