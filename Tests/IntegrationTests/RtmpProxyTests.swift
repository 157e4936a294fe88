import Foundation
import XCTest

/// Pull and push proxies of the RTMP plugin against ffmpeg acting as an RTMP server (`-listen 1`).
final class RtmpProxyTests: XCTestCase {
    func testPullFromFfmpegListenIsPlayableAndPushReachesFfmpeg() throws {
        let source = freePort(), sink = freePort(), rtmp = freePort(), http = freePort()
        // ffmpeg serves a stream to whoever connects and plays it.
        let served = try MediaTools.publish("rtmp://127.0.0.1:\(source)/live/src", seconds: 20, extra: ["-listen", "1"])
        defer { served.terminate() }
        // ffmpeg receives a pushed stream and saves 4 s of it.
        let pushedFile = FileManager.default.temporaryDirectory.appendingPathComponent("mr-pushed-\(getpid()).flv").path
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        receiver.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-listen", "1", "-i", "rtmp://127.0.0.1:\(sink)/live/dst",
                              "-c", "copy", "-t", "4", "-f", "flv", pushedFile]
        receiver.standardError = FileHandle.nullDevice
        try receiver.run()
        defer { receiver.terminate() }
        usleep(500_000)
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 5000
            [rtmp]
            port = \(rtmp)
            pull = ["live/pulled=rtmp://127.0.0.1:\(source)/live/src"]
            push = ["live/pulled=rtmp://127.0.0.1:\(sink)/live/dst"]
            [httpmux]
            port = \(http)
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pull live/pulled <- rtmp://127.0.0.1:\(source)/live/src: pulling"), s.log)

        let p = try MediaTools.probe("http://127.0.0.1:\(http)/live/pulled.live.flv", seconds: 3)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertGreaterThan(p.videoFrames, 60, "the pulled stream plays over HTTP-FLV")
        XCTAssertTrue(p.firstVideoKey)

        XCTAssertTrue(waitUntil(timeout: 15) { !receiver.isRunning }, "ffmpeg received 4 s of the pushed stream")
        let pushed = try MediaTools.probe(pushedFile)
        XCTAssertEqual(pushed.videoCodec, "h264")
        XCTAssertGreaterThan(pushed.videoFrames, 80)
        XCTAssertTrue(MediaTools.isMonotonic(pushed.videoDts))
    }

    func testAPullThatCannotConnectRetriesWithBackoff() throws {
        let rtmp = freePort(), nobody = freePort()
        let s = try ServerProcess(config: "[rtmp]\nport = \(rtmp)\npull = [\"live/x=rtmp://127.0.0.1:\(nobody)/live/x\", \"not a spec\"]\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pull entry 'not a spec' is not"), s.log)
        XCTAssertTrue(s.waitForLog("retrying in 1000 ms"), s.log)
        XCTAssertTrue(s.waitForLog("retrying in 2000 ms", timeout: 5), s.log)
    }
}
