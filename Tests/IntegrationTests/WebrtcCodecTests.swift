import Foundation
import XCTest

/// Video codecs forwarded between WebRTC peers without transcoding: VP8 from an aiortc WHIP publisher to an
/// aiortc and a Chromium WHEP player (and left out where a protocol cannot carry it), and H.265 from an RTSP publisher
/// (ffmpeg, libx265) to a WHEP player whose offer has H265: aiortc's own receive path (ICE, DTLS-SRTP, jitter
/// buffer, NACK) with an RFC 7798 depayloader and PyAV's HEVC decoder added (Clients/aiortc_h265.py), since
/// neither aiortc nor this machine's Chromium has H.265.
extension WebrtcWhepTests {
    func testAiortcPublishesVp8OverWhipAndAnotherPlaysItAsVp8() throws {
        let http = freePort(), rtsp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: rtsp, http: http,
                                          extra: "www_root = \"\(ChromiumTests.clients)\"\n[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"\n")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try background(Self.whipClient, ["http://127.0.0.1:\(http)/live/w/whip", "--seconds", "25",
                                                         "--testsrc", "--size", "320x240", "--codec", "VP8"])
        defer { publisher.0.terminate() }
        XCTAssertTrue(s.waitForLog("webrtc publisher live/w from 127.0.0.1", timeout: 15), s.log)
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 10), s.log)
        XCTAssertTrue(s.log.contains("answered (video VP8/"), s.log)

        let r = try whep("http://127.0.0.1:\(http)/live/w/whep", seconds: 4, audio: true)
        let out = "\(r)"
        print("VP8 WHIP to WHEP: \(out)")
        XCTAssertEqual(r["status"] as? Int, 201, out + s.log)
        XCTAssertEqual(r["video_codec"] as? String, "VP8", out)
        // 25 fps for 4 s minus the handshake, decoded by libvpx: broken frames or a missing key frame decode none.
        XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 60, out + s.log)
        XCTAssertEqual(r["width"] as? Int, 320, out)
        XCTAssertGreaterThan(r["audio_frames"] as? Int ?? 0, 50, out)

        // Chromium's own stack and libvpx decoder, from a page on the server's origin.
        if ChromiumTests.chromiumInstalled() { try chromiumPlays(s, http: http, stream: "live/w", codec: "video/VP8") }

        // The API names it as ZLMediaKit does (CodecVP8 is its codec id 7).
        let (_, list) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(http)/index/api/getMediaList?app=live&stream=w"], timeout: 10)
        XCTAssertTrue(list.contains("\"codec_id_name\":\"CodecVP8\""), list)

        // HTTP-FLV cannot carry VP8: the track is left out with a log line, the Opus one goes on.
        _ = try runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "--max-time", "1", "http://127.0.0.1:\(http)/live/w.live.flv"], timeout: 10)
        XCTAssertTrue(s.waitForLog("FLV/RTMP cannot carry vp8", timeout: 5), s.log)
        // Nor can RTSP here: it offers the audio alone.
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/w", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "", s.log)
        XCTAssertEqual(p.audioCodec, "opus", s.log)
    }

    /// A server whose live/h is published over RTSP by ffmpeg: H.265 (libx265, no B-frames) and G.711 A-law.
    func serverWithH265Source(name: String = #function) throws -> (ServerProcess, Process, http: Int) {
        let http = freePort(), rtsp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: rtsp, http: http,
                                          extra: "[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"\n", name: name)
        let publisher = try MediaTools.publish("rtsp://127.0.0.1:\(rtsp)/live/h", seconds: 30, format: "rtsp",
                                               extra: ["-rtsp_transport", "tcp", "-c:v", "libx265", "-x265-params", "log-level=error:keyint=25:bframes=0",
                                                       "-c:a", "pcm_alaw", "-ar", "8000", "-ac", "1"])
        XCTAssertTrue(s.waitForLog("publish live/h from", timeout: 15), s.log)
        return (s, publisher, http)
    }

    func testH265SourcePlaysOverWhepToAClientOfferingH265() throws {
        let (s, publisher, http) = try serverWithH265Source()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { publisher.terminate() }
        let r = try whep("http://127.0.0.1:\(http)/live/h/whep", seconds: 4, audio: true, extra: ["--h265"])
        let out = "\(r)"
        print("H.265 RTSP to WHEP: \(out)")
        XCTAssertEqual(r["status"] as? Int, 201, out + s.log)
        XCTAssertEqual(r["video_codec"] as? String, "H265", out)
        XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 60, out + s.log)
        XCTAssertEqual(r["width"] as? Int, 320, out)
        XCTAssertEqual(r["height"] as? Int, 240, out)
        XCTAssertGreaterThan(r["audio_frames"] as? Int ?? 0, 50, out)
        XCTAssertTrue(s.log.contains("video H265/49"), s.log)
    }

    /// Chromium without an HEVC decoder (the captured offer) gets the audio and a refused video section, and the log says why.
    func testH265SourceToAClientWithoutH265PlaysAudioOnly() throws {
        let (s, publisher, http) = try serverWithH265Source()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { publisher.terminate() }
        let offer = try String(contentsOfFile: Self.fixtures + "/chromium156-whep.sdp", encoding: .utf8)
        let answer = try post("http://127.0.0.1:\(http)/live/h/whep", body: offer)
        XCTAssertEqual(answer.code, 201, answer.text + s.log)
        XCTAssertTrue(answer.text.contains("m=video 0 "), answer.text)
        XCTAssertTrue(answer.text.contains("a=rtpmap:8 PCMA/8000"), answer.text)
        XCTAssertTrue(s.waitForLog("the source's video is h265, which the client did not offer (Chromium 136+ offers H265 where it has a decoder): playing audio only"), s.log)
    }

    /// aiortc with libx265 (Clients/aiortc_h265.py) publishes H.265 over WHIP: depacketized onto the bus with
    /// the parameter sets as the track's config, it plays over RTSP (ffprobe decodes HEVC) and over WHEP.
    func testH265PublishedOverWhipPlaysOverRtspAndWhep() throws {
        let http = freePort(), rtsp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: rtsp, http: http, extra: "[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"\n")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try background(Self.whipClient, ["http://127.0.0.1:\(http)/live/hw/whip", "--seconds", "15",
                                                         "--testsrc", "--size", "320x240", "--codec", "H265"])
        defer { publisher.0.terminate() }
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 15), s.log)
        XCTAssertTrue(s.log.contains("answered (video H265/"), s.log)

        let r = try whep("http://127.0.0.1:\(http)/live/hw/whep", seconds: 3, extra: ["--h265"])
        print("H.265 WHIP to WHEP: \(r)")
        XCTAssertEqual(r["video_codec"] as? String, "H265", "\(r)" + s.log)
        XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 30, "\(r)" + s.log)
        XCTAssertEqual(r["width"] as? Int, 320, "\(r)")
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/hw", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(p.videoCodec, "hevc", s.log)
        XCTAssertEqual(p.width, 320, s.log)
        XCTAssertGreaterThan(p.videoFrames, 20, s.log)
    }
}

extension H265RtmpTests {
    /// VP9 published over Enhanced RTMP (PyAV's FFmpeg 8, libvpx-vp9) plays in Chromium over WHEP as VP9
    /// (RFC 9628 flexible mode from our packetizer, Chromium's libvpx decoder).
    func testVp9PublishedOverEnhancedRtmpPlaysInChromiumOverWhep() throws {
        try enhancedRtmpPlaysInChromium(encoder: "libvpx-vp9", stream: "live/v9", codec: "video/VP9")
    }

    /// AV1 published over Enhanced RTMP (PyAV's FFmpeg 8, SVT-AV1 in low-delay mode) plays in Chromium over WHEP
    /// as AV1 (our AOM payload format packetizer, Chromium's dav1d decoder).
    func testAv1PublishedOverEnhancedRtmpPlaysInChromiumOverWhep() throws {
        try enhancedRtmpPlaysInChromium(encoder: "libsvtav1", stream: "live/a1", codec: "video/AV1")
    }

    /// PyAV publishes `encoder`'s video (+AAC) over Enhanced RTMP for 15 s; Chromium plays it over WHEP in `codec`.
    private func enhancedRtmpPlaysInChromium(encoder: String, stream: String, codec: String) throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        let rtmp = freePort(), http = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http,
                                          extra: "www_root = \"\(ChromiumTests.clients)\"\n[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"\n")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        publisher.arguments = ["python3", Self.client, "publish", "rtmp://127.0.0.1:\(rtmp)/\(stream)", encoder, "15"]
        publisher.standardOutput = FileHandle.nullDevice
        publisher.standardError = FileHandle.nullDevice
        try publisher.run()
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /\(stream)", timeout: 20), s.log)
        try chromiumPlays(s, http: http, stream: stream, codec: codec)
    }
}

extension XCTestCase {
    /// Headless Chromium plays `stream` over WHEP from the server's www_root page: 50 frames decoded, 320 wide,
    /// in `codec` (getStats mimeType).
    func chromiumPlays(_ s: ServerProcess, http: Int, stream: String, codec: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = try ChromiumTests.run(page: "http://127.0.0.1:\(http)/whep_player.html?src=/\(stream)/whep&frames=50&timeout=12",
                                      marker: "WHEP-RESULT ",
                                      flags: ["--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
                                      pageTimeout: 12)
        print("\(stream) in Chromium over WHEP: \(c.raw)")
        XCTAssertEqual(c.string("status"), "ok", c.raw + "\n" + s.log, file: file, line: line)
        XCTAssertEqual(c.string("codec"), codec, c.raw, file: file, line: line)
        XCTAssertGreaterThanOrEqual(c.int("frames") ?? 0, 50, c.raw, file: file, line: line)
        XCTAssertEqual(c.int("width"), 320, c.raw, file: file, line: line)
    }
}
