import Foundation
import XCTest

/// The RTSP client: pulls from GStreamer's RTSP server (a camera stand-in, with Digest auth) over TCP and
/// UDP, re-pulls after the camera restarts, and pushes to ffmpeg listening as an RTSP server.
final class RtspProxyTests: XCTestCase {
    private func camera(port: Int, user: String = "cam", password: String = "pw") throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/gst_rtsp_server.py").path,
                       String(port), user, password]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let ready = out.fileHandleForReading.availableData
        XCTAssertTrue(String(decoding: ready, as: UTF8.self).contains("ready"), "the GStreamer RTSP server started")
        return p
    }

    func testPullFromACameraWithDigestPlaysOverRtspAndRtmpAndIsRepulledAfterARestart() throws {
        let cam = freePort(), rtsp = freePort(), rtmp = freePort()
        var camera = try camera(port: cam)
        defer { camera.terminate() }
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 5000
            [rtsp]
            port = \(rtsp)
            pull = ["live/cam=rtsp://cam:pw@127.0.0.1:\(cam)/cam"]
            [rtmp]
            port = \(rtmp)
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pulling h264+aac over TCP"), s.log)
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/cam", seconds: 3, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertGreaterThan(p.videoFrames, 60)
        let q = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 3)
        XCTAssertEqual(q.videoCodec, "h264")
        XCTAssertEqual(q.audioCodec, "aac")
        XCTAssertGreaterThan(q.videoFrames, 60)
        XCTAssertTrue(MediaTools.isMonotonic(q.videoDts))

        // The camera restarts: the pull notices, retries with backoff and streams again.
        camera.terminate()
        camera.waitUntilExit()
        XCTAssertTrue(s.waitForLog("retrying in", timeout: 15), s.log)
        camera = try self.camera(port: cam)
        XCTAssertTrue(s.waitForLog("pulling h264+aac over TCP", count: 2, timeout: 20), s.log)
        let r = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/cam", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertGreaterThan(r.videoFrames, 30, "the re-pulled stream plays")
    }

    func testPullOverUdpAndAWrongPasswordIsReported() throws {
        let cam = freePort(), rtsp = freePort()
        let camera = try camera(port: cam)
        defer { camera.terminate() }
        let s = try ServerProcess(config: """
            [rtsp]
            port = \(rtsp)
            pull_transport = "udp"
            pull = ["live/cam=rtsp://cam:pw@127.0.0.1:\(cam)/cam", "live/bad=rtsp://cam:wrong@127.0.0.1:\(cam)/cam"]
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pulling h264+aac over UDP"), s.log)
        XCTAssertTrue(s.waitForLog("live/bad <- rtsp://127.0.0.1:\(cam)/cam: DESCRIBE answered 401 (credentials refused)"), s.log)
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/cam", seconds: 3, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertGreaterThan(p.videoFrames, 60)
    }

    func testPushReachesFfmpegListeningAsAnRtspServer() throws {
        let rtsp = freePort(), rtmp = freePort(), sink = freePort()
        let pushedFile = FileManager.default.temporaryDirectory.appendingPathComponent("mr-rtsp-pushed-\(getpid()).mkv").path
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        receiver.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-rtsp_flags", "listen", "-i", "rtsp://127.0.0.1:\(sink)/live/dst",
                              "-c", "copy", "-t", "4", pushedFile]
        receiver.standardError = FileHandle.nullDevice
        try receiver.run()
        defer { receiver.terminate() }
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 5000
            [rtsp]
            port = \(rtsp)
            push = ["live/src=rtsp://127.0.0.1:\(sink)/live/dst"]
            [rtmp]
            port = \(rtmp)
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/src", seconds: 15)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("live/src -> rtsp://127.0.0.1:\(sink)/live/dst: pushing", timeout: 15), s.log)
        XCTAssertTrue(waitUntil(timeout: 15) { !receiver.isRunning }, "ffmpeg received 4 s of the pushed stream")
        let pushed = try MediaTools.probe(pushedFile)
        XCTAssertEqual(pushed.videoCodec, "h264")
        XCTAssertEqual(pushed.audioCodec, "aac")
        XCTAssertGreaterThan(pushed.videoFrames, 80)
        XCTAssertTrue(MediaTools.isMonotonic(pushed.videoDts))
    }
}
