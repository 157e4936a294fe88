import Foundation
import XCTest

/// RTMP publish and RTMP / HTTP-FLV / WebSocket-FLV playback with real clients (ffmpeg, ffprobe,
/// GStreamer), checking decoded frames, codecs, sizes and timestamps.
final class RtmpHttpFlvTests: XCTestCase {
    private func server(rtmp: Int, http: Int, playWaitMs: Int = 4000, extraServer: String = "", extra: String = "",
                        name: String = #function) throws -> ServerProcess {
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = \(playWaitMs)
            \(extraServer)
            [rtmp]
            port = \(rtmp)
            [httpmux]
            port = \(http)
            \(extra)
            """, name: name)
        try s.start()
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started"), s.log)
        return s
    }

    func testRtmpPublishPlaysBackOverRtmpHttpFlvAndWebSocketFlv() throws {
        let rtmp = freePort(), http = freePort()
        let s = try server(rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 12)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/cam"), s.log)
        sleep(1)

        for url in ["rtmp://127.0.0.1:\(rtmp)/live/cam", "http://127.0.0.1:\(http)/live/cam.live.flv"] {
            let p = try MediaTools.probe(url, seconds: 3)
            XCTAssertEqual(p.videoCodec, "h264", url)
            XCTAssertEqual(p.audioCodec, "aac", url)
            XCTAssertEqual(p.width, 320, url)
            XCTAssertEqual(p.height, 240, url)
            // 3 s of 25 fps video, plus up to one GOP cached at the start (the live edge).
            XCTAssertTrue((70...105).contains(p.videoFrames), "\(url): \(p.videoFrames) video frames")
            XCTAssertTrue((110...180).contains(p.audioFrames), "\(url): \(p.audioFrames) audio frames")
            XCTAssertTrue(p.firstVideoKey, "\(url): playback starts on a keyframe")
            XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), "\(url): video timestamps go forward")
            XCTAssertTrue(MediaTools.isIncreasing(p.audioDts), "\(url): audio timestamps strictly increase: \(p.audioDts.prefix(60))")
            // The two tracks start together: a player's timeline rebase must move both by the same amount.
            XCTAssertEqual(p.audioDts.first ?? 99, p.videoDts.first ?? -99, accuracy: 0.5, "\(url): first audio vs video")
            // The stream has run for seconds, but each player's timeline starts near 0.
            XCTAssertLessThan(p.videoDts.first ?? 99, 0.5, "\(url): first timestamp \(p.videoDts.first ?? -1)")
        }

        // WebSocket-FLV: the binary messages, saved as a file, are a valid FLV stream.
        let ws = WebSocketClient.collect(port: http, path: "/live/cam.live.flv", seconds: 3)
        XCTAssertEqual(ws.status, "HTTP/1.1 101 Switching Protocols")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mr-ws-\(getpid()).flv").path
        try Data(ws.payload).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(Array(ws.payload.prefix(3)), Array("FLV".utf8))
        let w = try MediaTools.probe(file)
        XCTAssertEqual(w.videoCodec, "h264")
        XCTAssertEqual(w.audioCodec, "aac")
        XCTAssertGreaterThan(w.videoFrames, 50, "about 3 s of video over WebSocket")
        XCTAssertTrue(w.firstVideoKey)
    }

    func testGStreamerPlaysRtmpAndHttpFlv() throws {
        let rtmp = freePort(), http = freePort()
        let s = try server(rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/gst", seconds: 12)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/gst"), s.log)
        // Each pipeline decodes 50 video frames and then ends: exit 0 means they were decoded.
        for source in ["rtmp2src location=rtmp://127.0.0.1:\(rtmp)/live/gst", "souphttpsrc location=http://127.0.0.1:\(http)/live/gst.live.flv"] {
            let pipeline = "\(source) ! flvdemux name=d d.video ! queue ! h264parse ! avdec_h264 ! identity eos-after=50 ! fakesink"
            let (status, out) = try runCommand("/usr/bin/gst-launch-1.0", ["-q"] + pipeline.split(separator: " ").map(String.init), timeout: 20)
            XCTAssertEqual(status, 0, "\(source): \(out)")
        }
    }

    func testUnknownStreamWaitsThen404AndEndedStreamEndsTheResponse() throws {
        let rtmp = freePort(), http = freePort()
        let s = try server(rtmp: rtmp, http: http, playWaitMs: 2000)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let started = Date()
        let reply = talk(port: http, "GET /live/none.live.flv HTTP/1.1\r\nHost: x\r\n\r\n") ?? ""
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 404"), reply)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 1.9, "the player waited for a publisher first")

        // A player that arrives before the publisher gets the stream when it comes, and its response ends
        // when the publisher stops.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mr-early-\(getpid()).flv").path
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        recorder.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-i", "http://127.0.0.1:\(http)/live/late.live.flv",
                              "-c", "copy", "-f", "flv", file]
        recorder.standardError = FileHandle.nullDevice
        try recorder.run()
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/late", seconds: 3)
        publisher.waitUntilExit()
        XCTAssertTrue(waitUntil(timeout: 10) { !recorder.isRunning }, "the HTTP-FLV response ended with the stream")
        let p = try MediaTools.probe(file)
        XCTAssertGreaterThan(p.videoFrames, 40, "the early player got the stream")
    }

    func testPublisherDropAndReturnWithinWindowKeepsThePlayerPlaying() throws {
        let rtmp = freePort(), http = freePort()
        let s = try server(rtmp: rtmp, http: http, extraServer: "reconnect_window_ms = 5000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let first = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/re", seconds: 4)
        XCTAssertTrue(s.waitForLog("publish /live/re"), s.log)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mr-re-\(getpid()).flv").path
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        recorder.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-i", "http://127.0.0.1:\(http)/live/re.live.flv",
                              "-t", "6", "-c", "copy", "-f", "flv", file]
        recorder.standardError = FileHandle.nullDevice
        try recorder.run()
        first.waitUntilExit()
        usleep(500_000)
        let second = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/re", seconds: 5)
        defer { second.terminate() }
        XCTAssertTrue(waitUntil(timeout: 15) { !recorder.isRunning })
        XCTAssertTrue(s.log.contains("resumes within the reconnect window"), s.log)
        let p = try MediaTools.probe(file)
        // One connection, one file: frames of both publishers, timestamps moving forward across the gap.
        XCTAssertGreaterThan(p.videoFrames, 100, "\(p.videoFrames) frames: the player kept playing across the publisher's return")
        // The recorder copied 6 s of the player's timeline: more frames than that holds are frames sent twice
        // (a GOP cache replayed to the resumed player).
        XCTAssertLessThanOrEqual(p.videoFrames, 6 * 25 + 3, "6 s at 25 fps: no video frame twice")
        XCTAssertLessThanOrEqual(p.audioFrames, 6 * 44_100 / 1024 + 4, "6 s of 44.1 kHz AAC: no audio frame twice")
        XCTAssertTrue(MediaTools.isMonotonic(p.videoDts))
        // The returning publisher's timestamps are moved to follow the last frame: both tracks by the same amount.
        MediaTools.assertAligned(p, "a player across the publisher's return")
    }
}
