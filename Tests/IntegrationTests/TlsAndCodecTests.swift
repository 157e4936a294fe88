import Foundation
import XCTest

/// RTMPS, HTTPS and RTSPS listeners with a self-signed certificate, pulls of HTTP-FLV and HLS over https, and
/// G.711 audio through RTMP and HTTP-FLV.
final class TlsAndCodecTests: XCTestCase {
    private func certificate() throws -> (String, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-it-tls-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        if !FileManager.default.fileExists(atPath: cert) {
            let (status, out) = try runCommand("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                                                                     "-subj", "/CN=localhost", "-keyout", key, "-out", cert], timeout: 30)
            XCTAssertEqual(status, 0, out)
        }
        return (cert, key)
    }

    func testRtmpsPublishAndHttpsAndRtspsPlayback() throws {
        let (cert, key) = try certificate()
        let rtmp = freePort(), rtmps = freePort(), http = freePort(), https = freePort(), rtsp = freePort(), rtsps = freePort()
        let www = FileManager.default.temporaryDirectory.appendingPathComponent("mr-it-www-\(getpid())")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        try Data("secure hello\n".utf8).write(to: www.appendingPathComponent("index.html"))
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 4000
            [rtmp]
            port = \(rtmp)
            rtmps_port = \(rtmps)
            tls_cert = "\(cert)"
            tls_key = "\(key)"
            proxy_tls_verify = true
            [httpmux]
            port = \(http)
            https_port = \(https)
            tls_cert = "\(cert)"
            tls_key = "\(key)"
            www_root = "\(www.path)"
            [rtsp]
            port = \(rtsp)
            rtsps_port = \(rtsps)
            tls_cert = "\(cert)"
            tls_key = "\(key)"
            [hls]
            segment_ms = 1000
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("listening on tls 0.0.0.0:\(rtmps)"), s.log)
        let publisher = try MediaTools.publish("rtmps://127.0.0.1:\(rtmps)/live/secure", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/secure"), s.log)
        // ffmpeg does not verify certificates unless asked, so the self-signed one is accepted.
        let p = try MediaTools.probe("https://127.0.0.1:\(https)/live/secure.live.flv", seconds: 2)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertGreaterThan(p.videoFrames, 35)
        let overRtmps = try MediaTools.probe("rtmps://127.0.0.1:\(rtmps)/live/secure", seconds: 2, timeout: 15)
        XCTAssertEqual(overRtmps.videoCodec, "h264", "RTMPS play")
        XCTAssertEqual(overRtmps.audioCodec, "aac", "RTMPS play")
        XCTAssertTrue((35...90).contains(overRtmps.videoFrames), "RTMPS play: \(overRtmps.videoFrames)")
        XCTAssertTrue(MediaTools.isIncreasing(overRtmps.audioDts), "RTMPS play: \(overRtmps.audioDts.prefix(40))")
        let q = try MediaTools.probe("rtsps://127.0.0.1:\(rtsps)/live/secure", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(q.videoCodec, "h264")
        XCTAssertGreaterThan(q.videoFrames, 35, "RTSP over TLS")
        let (status, page) = try runCommand("/usr/bin/curl", ["-sk", "https://127.0.0.1:\(https)/"], timeout: 10)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(page, "secure hello\n")

        // Pulls over https (the server's own HTTPS port; its self-signed certificate is not verified, as
        // ffmpeg's default): HTTP-FLV and HLS, each played back over RTMP.
        for (stream, url) in [("flv", "https://127.0.0.1:\(https)/live/secure.live.flv"),
                              ("hls", "https://127.0.0.1:\(https)/live/secure/hls.m3u8")] {
            let (added, answer) = try runCommand("/usr/bin/curl", ["-s", "-G", "http://127.0.0.1:\(http)/index/api/addStreamProxy",
                "--data-urlencode", "app=pulled", "--data-urlencode", "stream=\(stream)", "--data-urlencode", "url=\(url)"], timeout: 10)
            XCTAssertEqual(added, 0)
            XCTAssertTrue(answer.contains("\"code\":0"), answer)
            XCTAssertTrue(s.waitForLog("pull pulled/\(stream) <- \(url): pulling", timeout: 15), s.log)
            let pulled = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/pulled/\(stream)", seconds: 2, timeout: 20)
            XCTAssertEqual(pulled.videoCodec, "h264", stream)
            XCTAssertEqual(pulled.audioCodec, "aac", stream)
            XCTAssertGreaterThan(pulled.videoFrames, 25, stream)
        }
        // The rtmp plugin checks certificates (proxy_tls_verify): its pull of the self-signed RTMPS port
        // fails the handshake, says why, and retries.
        let (_, refused) = try runCommand("/usr/bin/curl", ["-s", "-G", "http://127.0.0.1:\(http)/index/api/addStreamProxy",
            "--data-urlencode", "app=pulled", "--data-urlencode", "stream=checked",
            "--data-urlencode", "url=rtmps://127.0.0.1:\(rtmps)/live/secure"], timeout: 10)
        XCTAssertTrue(refused.contains("\"code\":0"), refused)
        XCTAssertTrue(s.waitForLog("pull pulled/checked <- rtmps://127.0.0.1:\(rtmps)/live/secure", timeout: 10), s.log)
        XCTAssertTrue(waitUntil(timeout: 10) {
            s.log.components(separatedBy: "\n").contains { $0.contains("pull pulled/checked") && $0.contains("retrying") && $0.lowercased().contains("certificate") }
        }, s.log)
        let (_, online) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(http)/index/api/isMediaOnline?app=pulled&stream=checked"], timeout: 10)
        XCTAssertTrue(online.contains("\"online\":false"), online)
    }

    func testG711AudioThroughRtmpAndHttpFlv() throws {
        let rtmp = freePort(), http = freePort()
        let s = try ServerProcess(config: "[server]\nplay_wait_ms = 4000\n[rtmp]\nport = \(rtmp)\n[httpmux]\nport = \(http)\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        for (codec, name) in [("pcm_alaw", "alaw"), ("pcm_mulaw", "mulaw")] {
            let publisher = Process()
            publisher.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
            publisher.arguments = ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                                   "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000", "-t", "8", "-c:v", "libx264",
                                   "-preset", "ultrafast", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", codec, "-ar", "8000",
                                   "-ac", "1", "-f", "flv", "rtmp://127.0.0.1:\(rtmp)/live/\(name)"]
            publisher.standardError = FileHandle.nullDevice
            try publisher.run()
            defer { publisher.terminate() }
            XCTAssertTrue(s.waitForLog("publish /live/\(name)"), s.log)
            let p = try MediaTools.probe("http://127.0.0.1:\(http)/live/\(name).live.flv", seconds: 2)
            XCTAssertEqual(p.audioCodec, codec)
            XCTAssertGreaterThan(p.audioFrames, 10)
            XCTAssertEqual(p.videoCodec, "h264")
        }
    }
}
