import Foundation
import XCTest

/// The RTSP server with real clients: ffmpeg and GStreamer publish and play over TCP and UDP, streams
/// convert between RTSP, RTMP and HTTP-FLV, and Digest auth lets the right password in only.
final class RtspServerTests: XCTestCase {
    private func server(rtsp: Int, rtmp: Int, http: Int, extra: String = "") throws -> ServerProcess {
        let udp = 20000 + Int.random(in: 0..<2000) * 10
        // The multicast player binds the group's ports the server names: not the default 40000 of every server
        // (ffprobe met it taken once), but a band below the ephemeral ports and away from the others used here.
        let multicast = 12000 + Int.random(in: 0..<500) * 16
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 5000
            # Ten UDP ports are five RTP/RTCP pairs and the plugin needs one per event loop: fixed, not per core.
            threads = 2
            [rtsp]
            port = \(rtsp)
            udp_port_range = "\(udp)-\(udp + 9)"
            multicast_port = \(multicast)
            \(extra)
            [rtmp]
            port = \(rtmp)
            [httpmux]
            port = \(http)
            """)
        try s.start()
        return s
    }

    func testFfmpegPublishesOverTcpWithBFramesAndPlaysOverRtspRtmpAndHttpFlv() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtsp://127.0.0.1:\(rtsp)/live/tcp", seconds: 15, format: "rtsp", bframes: 2,
                                               extra: ["-rtsp_transport", "tcp"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish live/tcp from"), s.log)

        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/tcp", seconds: 3, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertEqual(p.width, 320)
        // 3 s at 25 fps and 43 AAC frames a second, plus up to a GOP from the cache: duplicated frames fail.
        XCTAssertTrue((60...105).contains(p.videoFrames), "about 25 fps for 3 s: \(p.videoFrames)")
        XCTAssertTrue((100...180).contains(p.audioFrames), "about 43 AAC frames a second: \(p.audioFrames)")
        XCTAssertTrue(MediaTools.isIncreasing(p.audioDts), "\(p.audioDts.prefix(60))")

        for url in ["rtmp://127.0.0.1:\(rtmp)/live/tcp", "http://127.0.0.1:\(http)/live/tcp.live.flv"] {
            let q = try MediaTools.probe(url, seconds: 3)
            XCTAssertEqual(q.videoCodec, "h264", url)
            XCTAssertEqual(q.audioCodec, "aac", url)
            XCTAssertTrue((60...105).contains(q.videoFrames), "\(url): \(q.videoFrames)")
            XCTAssertTrue(q.firstVideoKey, url)
            XCTAssertTrue(MediaTools.isMonotonic(q.videoDts), "decode times of B-frame video stay monotonic: \(url)")
            XCTAssertTrue(MediaTools.isIncreasing(q.audioDts), "\(url): \(q.audioDts.prefix(60))")
        }
    }

    func testFfmpegPublishesAndPlaysOverUdp() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtsp://127.0.0.1:\(rtsp)/live/udp", seconds: 15, format: "rtsp",
                                               extra: ["-rtsp_transport", "udp"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish live/udp from"), s.log)
        XCTAssertTrue(s.log.contains("over UDP"), s.log)
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/udp", seconds: 3, extra: ["-rtsp_transport", "udp"])
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertGreaterThan(p.videoFrames, 60)
        XCTAssertTrue(s.waitForLog("to 127.0.0.1"), s.log)
    }

    func testRtmpPublishPlaysOverRtspWithFfmpegAndGStreamer() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        // Four probes and two GStreamer runs take 12-14 s: a 15 s publish could end under the last one.
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/conv", seconds: 40)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/conv"), s.log)
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/conv", seconds: 3, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertGreaterThan(p.videoFrames, 60)
        // RTSP over HTTP (QuickTime tunnelling: a GET and a POST connection).
        let h = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/conv", seconds: 3, extra: ["-rtsp_transport", "http"])
        XCTAssertEqual(h.videoCodec, "h264")
        XCTAssertGreaterThan(h.videoFrames, 60, "RTSP over HTTP")
        XCTAssertTrue(s.log.contains("over HTTP tunnel"), s.log)
        // Multicast: one sender for the stream, the player joins the group it is given.
        let m = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/conv", seconds: 3, extra: ["-rtsp_transport", "udp_multicast"])
        XCTAssertEqual(m.videoCodec, "h264")
        XCTAssertEqual(m.audioCodec, "aac")
        XCTAssertGreaterThan(m.videoFrames, 60, "multicast")
        XCTAssertTrue(s.log.contains("multicast /live/conv to 239.255.0.1:"), s.log)
        // GStreamer over TCP and over UDP: 50 decoded frames, then end of stream with no error before it.
        for proto in ["tcp", "udp"] {
            let pipeline = "rtspsrc location=rtsp://127.0.0.1:\(rtsp)/live/conv protocols=\(proto) ! rtph264depay ! h264parse ! avdec_h264 ! identity eos-after=50 ! fakesink"
            let (status, out) = try runCommand("/usr/bin/gst-launch-1.0", pipeline.split(separator: " ").map(String.init), timeout: 20)
            let eos = try XCTUnwrap(out.range(of: "Got EOS from element \"pipeline0\"."), "\(proto): \(out)")
            XCTAssertFalse(out[..<eos.lowerBound].contains("ERROR"), "\(proto): \(out)")
            // Shutting down after the EOS, gst-launch's PAUSED sends PAUSE and READY's close flushes the connection
            // under that request's read a fraction of a millisecond later: rtspsrc 1.22 then posts "Could not
            // write to resource (Received end-of-file)" from gst_rtspsrc_pause, although the server answers the
            // TEARDOWN that follows on the same connection (seen once in 50 runs on the loaded machine).
            // Only that: the errors are all its end-of-file, and the TEARDOWN (gst_rtspsrc_close) went through.
            let shutdown = out[eos.upperBound...]
            let pauseRace = shutdown.contains("gst_rtspsrc_pause ()") && !shutdown.contains("gst_rtspsrc_close ()")
                && shutdown.components(separatedBy: "ERROR").count == shutdown.components(separatedBy: "Received end-of-file").count
            XCTAssertTrue(status == 0 || pauseRace, "\(proto): \(out)")
        }
    }

    func testGStreamerPublishesAudioFirstWithLatmAndRecordInCapitalsOverTcpAndUdp() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        for proto in ["tcp", "udp"] {
            try gstreamerPublish(s, rtsp: rtsp, rtmp: rtmp, proto: proto)
        }
    }

    private func gstreamerPublish(_ s: ServerProcess, rtsp: Int, rtmp: Int, proto: String) throws {
        let pipeline = "rtspclientsink name=s location=rtsp://127.0.0.1:\(rtsp)/live/gst\(proto) protocols=\(proto) "
            + "audiotestsrc is-live=true num-buffers=600 ! audioconvert ! avenc_aac ! aacparse ! s. "
            + "videotestsrc is-live=true num-buffers=300 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 ! h264parse ! s."
        let gst = Process()
        gst.executableURL = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")
        gst.arguments = ["-q"] + pipeline.split(separator: " ").map(String.init)
        gst.standardOutput = FileHandle.nullDevice
        gst.standardError = FileHandle.nullDevice
        try gst.run()
        defer { gst.terminate() }
        XCTAssertTrue(s.waitForLog("publish live/gst\(proto) from", timeout: 15), s.log)
        let line = s.log.split(separator: "\n").first { $0.contains("publish live/gst\(proto) from") } ?? ""
        XCTAssertTrue(line.contains("over \(proto.uppercased())"), String(line))
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/gst\(proto)", seconds: 3)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac", "MP4A-LATM became plain AAC on the bus")
        XCTAssertGreaterThan(p.videoFrames, 50)
        XCTAssertGreaterThan(p.audioFrames, 50)
    }

    func testH265G711AndOpusOverRtsp() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let cases: [(path: String, video: String, audio: String, videoName: String, audioName: String)] = [
            ("hevc", "libx265", "pcm_alaw", "hevc", "pcm_alaw"),
            ("opus", "libx264", "libopus", "h264", "opus"),
            ("mulaw", "libx264", "pcm_mulaw", "h264", "pcm_mulaw"),
        ]
        var publishers: [Process] = []
        defer { publishers.forEach { $0.terminate() } }
        for c in cases {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
            p.arguments = ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "30",
                           "-c:v", c.video, "-preset", "ultrafast", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p"]
                + (c.video == "libx265" ? ["-x265-params", "log-level=error"] : [])
                + ["-c:a", c.audio, "-ar", c.audio == "libopus" ? "48000" : "8000", "-ac", "1",
                   "-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://127.0.0.1:\(rtsp)/live/\(c.path)"]
            p.standardOutput = FileHandle.nullDevice
            // ffmpeg's own complaints, for the failure message (x265 starting slowly on a loaded machine).
            let errPath = NSTemporaryDirectory() + "mr-rtsp-pub-\(getpid())-\(c.path).log"
            FileManager.default.createFile(atPath: errPath, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: errPath) ?? FileHandle.nullDevice
            try p.run()
            publishers.append(p)
        }
        for c in cases {
            let errPath = NSTemporaryDirectory() + "mr-rtsp-pub-\(getpid())-\(c.path).log"
            defer { try? FileManager.default.removeItem(atPath: errPath) }
            XCTAssertTrue(s.waitForLog("publish live/\(c.path) from", timeout: 30),
                          "ffmpeg: \((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")\n\(s.log)")
            let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/\(c.path)", seconds: 3, extra: ["-rtsp_transport", "tcp"])
            XCTAssertEqual(p.videoCodec, c.videoName, c.path)
            XCTAssertEqual(p.audioCodec, c.audioName, c.path)
            XCTAssertGreaterThan(p.videoFrames, 50, c.path)
            XCTAssertGreaterThan(p.audioFrames, 20, c.path)
        }
    }

    func testDigestAuthRefusesAWrongPasswordAndAcceptsTheRightOne() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http, extra: "auth = \"digest\"\nusers = [\"cam:secret\"]")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let (status, out) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
            "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
            "-f", "rtsp", "rtsp://cam:wrong@127.0.0.1:\(rtsp)/live/auth"], timeout: 20)
        XCTAssertNotEqual(status, 0, "a wrong password is refused: \(out)")
        XCTAssertTrue(out.contains("401"), out)
        XCTAssertFalse(s.log.contains("publish live/auth from"), s.log)

        let publisher = try MediaTools.publish("rtsp://cam:secret@127.0.0.1:\(rtsp)/live/auth", seconds: 15, format: "rtsp",
                                               extra: ["-rtsp_transport", "tcp"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish live/auth from"), s.log)
        let refused = MediaTools.probeFailure("rtsp://cam:nope@127.0.0.1:\(rtsp)/live/auth", extra: ["-rtsp_transport", "tcp"])
        XCTAssertTrue(refused?.contains("401 Unauthorized") == true, "a player with a wrong password sees 401: \(refused ?? "it played")")
        let p = try MediaTools.probe("rtsp://cam:secret@127.0.0.1:\(rtsp)/live/auth", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertGreaterThan(p.videoFrames, 30)
    }

    /// session_timeout_ms (5 s, the least it takes): a connection that only asked OPTIONS is closed after it,
    /// not after the default minute, while a player over TCP in the same time keeps playing.
    func testSessionTimeoutClosesQuietSessionsNotTcpPlayers() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http, extra: "session_timeout_ms = 5000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/quiet", seconds: 20)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/quiet"), s.log)
        let out = NSTemporaryDirectory() + "mr-rtsp-timeout-\(getpid()).flv"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let player = Process()
        player.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        player.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-rtsp_transport", "tcp", "-i", "rtsp://127.0.0.1:\(rtsp)/live/quiet",
                            "-t", "8", "-c", "copy", "-f", "flv", out]
        player.standardOutput = FileHandle.nullDevice
        player.standardError = FileHandle.nullDevice
        try player.run()
        defer { if player.isRunning { player.terminate() } }

        let idle = try XCTUnwrap(connectLoopback(port: rtsp, timeout: 0.2))
        defer { close(idle) }
        _ = "OPTIONS rtsp://127.0.0.1:\(rtsp)/live/quiet RTSP/1.0\r\nCSeq: 1\r\n\r\n".withCString { send(idle, $0, strlen($0), 0) }
        let start = Date()
        var buf = [UInt8](repeating: 0, count: 4096)
        var answered = false, closedAt: Double?
        while closedAt == nil && Date().timeIntervalSince(start) < 9 {
            let n = recv(idle, &buf, buf.count, 0)
            if n > 0 { answered = true } else if n == 0 { closedAt = Date().timeIntervalSince(start) }
        }
        XCTAssertTrue(answered)
        let at = try XCTUnwrap(closedAt, "the quiet session was not closed within 9 s")
        XCTAssertTrue(at > 4.5 && at < 7.5, "closed after \(at) s at session_timeout_ms 5000")
        player.waitUntilExit()
        let p = try MediaTools.probe(out)
        XCTAssertGreaterThan(p.videoFrames, 175, "the TCP player got its 8 s: \(p.videoFrames) frames")
    }

    func testTransportForcedToTcpAnswers461ToUdp() throws {
        let rtsp = freePort(), rtmp = freePort(), http = freePort()
        let s = try server(rtsp: rtsp, rtmp: rtmp, http: http, extra: "transport = \"tcp\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/forced", seconds: 10)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/forced"), s.log)
        let (status, out) = try runCommand("/usr/bin/ffprobe", ["-v", "error", "-rtsp_transport", "udp",
                                                               "rtsp://127.0.0.1:\(rtsp)/live/forced"], timeout: 15)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(out.contains("461"), out)
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/forced", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertGreaterThan(p.videoFrames, 30)
    }
}
