import Foundation
import XCTest

/// SRT publish and play with real clients: ffmpeg publishes with the access-control streamid and is played back
/// over SRT, RTMP and HLS; GStreamer publishes with MediaMTX's form and srt-live-transmit plays; a player's
/// messages are no larger than payload_size, and one that stops reading is held to player_send_buffer_kb.
final class SrtServerTests: XCTestCase {
    private func server(srt: Int, http: Int, rtmp: Int = freePort(), extra: String = "", name: String = #function) throws -> ServerProcess {
        try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http,
                                  extra: "[hls]\nsegment_ms = 1000\n[srt]\nport = \(srt)\n\(extra)", name: name)
    }

    func testFfmpegPublishesOverSrtAndPlaysOverSrtRtmpAndHls() throws {
        let srt = freePort(), http = freePort(), rtmp = freePort()
        let s = try server(srt: srt, http: http, rtmp: rtmp)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publisher = try SrtTools.publish(port: srt, streamId: "#!::r=live/a,m=publish", seconds: 30)
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog("publisher live/a from 127.0.0.1"), s.log)
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)

        let urls = [SrtTools.url(port: srt, streamId: "#!::r=live/a,m=request"), "rtmp://127.0.0.1:\(rtmp)/live/a",
                    "http://127.0.0.1:\(http)/live/a/hls.m3u8"]
        for url in urls {
            let p = try MediaTools.probe(url, seconds: 3)
            XCTAssertEqual(p.videoCodec, "h264", url)
            XCTAssertEqual(p.audioCodec, "aac", url)
            XCTAssertEqual(p.width, 320, url)
            XCTAssertGreaterThan(p.videoFrames, 50, url)
            XCTAssertGreaterThan(p.audioFrames, 80, url)
            XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), url)
        }
        XCTAssertTrue(s.log.contains("player live/a to 127.0.0.1"), s.log)
        // The plugin's counters reach /metrics.
        XCTAssertTrue(waitUntil(timeout: 5) { (SrtTools.metric(http: http, "bytes_in") ?? 0) > 100_000 }, s.log)
        XCTAssertNotNil(SrtTools.metric(http: http, "rtt_ms_max"))
    }

    func testGStreamerPublishesMediaMtxFormAndSrtLiveTransmitPlays() throws {
        let srt = freePort(), http = freePort()
        let s = try server(srt: srt, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let gst = try SrtTools.process("/usr/bin/gst-launch-1.0", ["-q",
            "videotestsrc", "is-live=true", "num-buffers=750", "!", "video/x-raw,width=320,height=240,framerate=25/1", "!",
            "x264enc", "tune=zerolatency", "key-int-max=25", "speed-preset=ultrafast", "!", "h264parse", "!", "mux.",
            "audiotestsrc", "is-live=true", "!", "audio/x-raw,rate=44100,channels=1", "!", "voaacenc", "!", "aacparse", "!", "mux.",
            "mpegtsmux", "name=mux", "alignment=7", "!", "srtsink", "uri=srt://127.0.0.1:\(srt)?streamid=publish:live/b", "latency=200"])
        defer { SrtTools.stop(gst) }
        XCTAssertTrue(s.waitForLog("publisher live/b from 127.0.0.1"), s.log)
        XCTAssertTrue(s.log.contains("(streamid mediamtx form)"), s.log)
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)

        let out = SrtTools.temp("slt.ts")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let slt = try SrtTools.process("/usr/bin/srt-live-transmit", ["-a:no", "-q",
                                       "srt://127.0.0.1:\(srt)?streamid=read:live/b", "file://con"], stdout: out)
        Thread.sleep(forTimeInterval: 4)
        SrtTools.stop(slt)
        let p = try MediaTools.probe(out)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertEqual(p.width, 320)
        XCTAssertGreaterThan(p.videoFrames, 50)
        XCTAssertGreaterThan(p.audioFrames, 60)
        XCTAssertTrue(s.log.contains("player live/b to 127.0.0.1"), s.log)
    }

    func testH265AndAacOverSrt() throws {
        let srt = freePort(), http = freePort()
        let s = try server(srt: srt, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publisher = try SrtTools.process("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "25", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=25:bframes=0:log-level=error",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "mpegts",
            SrtTools.url(port: srt, streamId: "#!::r=live/hevc,m=publish")])
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)
        for url in [SrtTools.url(port: srt, streamId: "live/hevc"), "http://127.0.0.1:\(http)/live/hevc.live.ts"] {
            let p = try MediaTools.probe(url, seconds: 3)
            XCTAssertEqual(p.videoCodec, "hevc", url)
            XCTAssertEqual(p.audioCodec, "aac", url)
            XCTAssertEqual(p.width, 320, url)
            XCTAssertGreaterThan(p.videoFrames, 40, url)
            XCTAssertGreaterThan(p.audioFrames, 60, url)
        }
    }

    /// payload_size = 600: a player's SRT messages hold at most three TS packets (564 bytes), not the default
    /// seven (1316), as a libsrt caller receives them.
    func testPayloadSizeBoundsThePlayersMessages() throws {
        let (s, srt, _, publisher) = try SrtTools.publishing("payload_size = 600", stream: "ps")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { SrtTools.stop(publisher) }
        let lines = try SrtTools.clientLines(port: srt, streamId: "#!::r=live/ps,m=request", args: ["--read", "1.5"])
        XCTAssertEqual(lines.first, "connected", "\(lines)")
        let words = (lines.last ?? "").split(separator: " ")
        XCTAssertEqual(words.first, "messages", "\(lines)")
        XCTAssertGreaterThan(words.count == 4 ? Int(words[1]) ?? 0 : 0, 20, "\(lines)")
        XCTAssertEqual(words.count == 4 ? Int(words[3]) : nil, 564, "600 rounded down to whole TS packets: \(lines)")
    }

    /// player_send_buffer_kb = 64: a player that stops reading (srt-live-transmit under SIGSTOP, no ACKs) has
    /// at most 44 packets (64 KiB / 1472) in flight, and once they fill the buffer the server sends it nothing
    /// more (the reader is paused). With the default 1 MiB the flight grows to about 1 s of the stream (some
    /// 77 packets here) and libsrt goes on sending and dropping.
    func testPlayerSendBufferKbBoundsWhatAStoppedPlayerIsSent() throws {
        let (s, srt, http, publisher) = try SrtTools.publishing("player_send_buffer_kb = 64", stream: "sb")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { SrtTools.stop(publisher) }
        let player = try SrtTools.process("/usr/bin/srt-live-transmit", ["-a:no", "-q", "srt://127.0.0.1:\(srt)?streamid=#!::r=live/sb,m=request",
                                                                         "file://con"])
        defer { kill(player.processIdentifier, SIGCONT); SrtTools.stop(player) }
        XCTAssertTrue(s.waitForLog(": playing"), s.log)
        Thread.sleep(forTimeInterval: 1)
        kill(player.processIdentifier, SIGSTOP)
        let stats = { () -> (flight: Int, sent: Int) in
            let item = ((try? SrtTools.sessions(http)) ?? []).first { $0["role"] as? String == "player" }
            let values = item?["stats"] as? [String: Any]
            return ((values?["flight_packets"] as? NSNumber)?.intValue ?? -1, (values?["bytes_sent"] as? NSNumber)?.intValue ?? -1)
        }
        Thread.sleep(forTimeInterval: 1.5)
        let first = stats()
        Thread.sleep(forTimeInterval: 1)
        let second = stats()
        print("player_send_buffer_kb 64, player stopped: flight \(first.flight) then \(second.flight) packets, sent \(first.sent) then \(second.sent) bytes")
        XCTAssertTrue((1...45).contains(first.flight) && (1...45).contains(second.flight), "\(first) \(second)\n\(s.log)")
        XCTAssertEqual(first.sent, second.sent, "nothing more sent to the stopped player")
    }
}
