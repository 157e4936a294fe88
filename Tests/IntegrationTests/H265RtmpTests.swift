import Foundation
import XCTest

/// H.265 over Enhanced RTMP with a real FFmpeg client: PyAV's bundled FFmpeg (7+) publishes and decodes
/// 'hvc1' FLV, which Debian 12's ffmpeg 5.1 cannot; and H.265 converted between RTMP and RTSP.
final class H265RtmpTests: XCTestCase {
    static let client = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/pyav_client.py").path

    private func play(_ url: String, seconds: Int) throws -> [String: Any] {
        let (status, out) = try runCommand("/usr/bin/env", ["python3", Self.client, "play", url, String(seconds)], timeout: 30)
        XCTAssertEqual(status, 0, out)
        guard let line = out.split(separator: "\n").last, let data = line.data(using: .utf8),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            XCTFail("no result from the player: \(out)")
            return [:]
        }
        return json
    }

    func testH265PublishedOverEnhancedRtmpPlaysOverRtmpHttpFlvAndRtsp() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess(config: "[server]\nplay_wait_ms = 5000\n[rtmp]\nport = \(rtmp)\n[httpmux]\nport = \(http)\n[rtsp]\nport = \(rtsp)\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        publisher.arguments = ["python3", Self.client, "publish", "rtmp://127.0.0.1:\(rtmp)/live/hevc", "libx265", "12"]
        publisher.standardError = FileHandle.nullDevice
        try publisher.run()
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/hevc", timeout: 20), s.log)
        for url in ["http://127.0.0.1:\(http)/live/hevc.live.flv", "rtmp://127.0.0.1:\(rtmp)/live/hevc"] {
            let r = try play(url, seconds: 3)
            XCTAssertEqual(r["video_codec"] as? String, "hevc", url)
            XCTAssertEqual(r["audio_codec"] as? String, "aac", url)
            XCTAssertEqual(r["width"] as? Int, 320, url)
            XCTAssertEqual(r["height"] as? Int, 240, url)
            XCTAssertGreaterThan(r["video_frames"] as? Int ?? 0, 40, url)
            XCTAssertEqual(r["first_key"] as? Bool, true, url)
            XCTAssertEqual(r["monotonic"] as? Bool, true, url)
        }
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/hevc", seconds: 3, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "hevc", "RTMP H.265 plays over RTSP (RFC 7798)")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertEqual(p.width, 320)
        XCTAssertGreaterThan(p.videoFrames, 50)
    }

    func testH265PublishedOverRtspPlaysOverEnhancedRtmp() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess(config: "[server]\nplay_wait_ms = 5000\n[rtmp]\nport = \(rtmp)\n[httpmux]\nport = \(http)\n[rtsp]\nport = \(rtsp)\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        publisher.arguments = ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "15", "-c:v", "libx265",
                               "-preset", "ultrafast", "-x265-params", "keyint=25:bframes=2:log-level=error", "-pix_fmt", "yuv420p",
                               "-c:a", "aac", "-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://127.0.0.1:\(rtsp)/live/hevc"]
        publisher.standardError = FileHandle.nullDevice
        try publisher.run()
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish live/hevc from", timeout: 20), s.log)
        for url in ["http://127.0.0.1:\(http)/live/hevc.live.flv", "rtmp://127.0.0.1:\(rtmp)/live/hevc"] {
            let r = try play(url, seconds: 3)
            XCTAssertEqual(r["video_codec"] as? String, "hevc", url)
            XCTAssertEqual(r["audio_codec"] as? String, "aac", url)
            XCTAssertEqual(r["width"] as? Int, 320, url)
            XCTAssertGreaterThan(r["video_frames"] as? Int ?? 0, 40, url)
            XCTAssertEqual(r["first_key"] as? Bool, true, url)
            XCTAssertEqual(r["monotonic"] as? Bool, true, "decode times from RTP presentation times stay monotonic: \(url)")
        }
    }
}
