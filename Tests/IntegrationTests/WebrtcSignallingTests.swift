import Foundation
import XCTest

/// WHIP/WHEP signalling beyond the offer: preflight with ICE servers, PATCH (trickle, ICE restart), ZLMediaKit's
/// legacy JSON API, hostile offers next to a playing aiortc client, and FFmpeg's own WHIP muxer (PyAV's
/// FFmpeg 8 libraries: their ICE, GnuTLS DTLS and SRTP) publishing with a bearer token the hooks see.
extension WebrtcWhepTests {
    static let iceServers = #"ice_servers = ["stun:stun.example.net:3478", "turn:bob:s%22cret@turn.example.net:3478?transport=udp"]"#

    /// A minimal offer: one media section with the given payload types, everything else well-formed.
    static func offer(video rtpmaps: [String], mediaSections: Int = 1, extraLine: String? = nil) -> String {
        var lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
        for i in 0..<mediaSections {
            lines += ["m=video 9 UDP/TLS/RTP/SAVPF \(rtpmaps.indices.map { String(96 + $0) }.joined(separator: " "))", "c=IN IP4 0.0.0.0",
                      "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
                      "a=fingerprint:sha-256 " + (0..<32).map { _ in "AB" }.joined(separator: ":"),
                      "a=setup:actpass", "a=mid:\(i)", "a=recvonly", "a=rtcp-mux"]
            lines += rtpmaps.enumerated().map { "a=rtpmap:\(96 + $0.offset) \($0.element)" }
        }
        if let extraLine { lines.append(extraLine) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    func testPreflightLinksIceServersAndPatchTricklesAndRestartsIce() throws {
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try server(http: http, rtmp: rtmp, udp: udp, extra: Self.iceServers)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        let turn = #"Link: <turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="bob"; credential="s\"cret"; credential-type="password""#
        for url in ["http://127.0.0.1:\(http)/live/a/whep", "http://127.0.0.1:\(http)/index/api/whip?app=live&stream=b"] {
            let preflight = try post(url, body: "", method: "OPTIONS", headers: ["Access-Control-Request-Headers: content-type"])
            XCTAssertEqual(preflight.code, 204, preflight.text)
            XCTAssertTrue(preflight.text.contains("Accept-Post: application/sdp"), preflight.text)
            XCTAssertTrue(preflight.text.contains(#"Link: <stun:stun.example.net:3478>; rel="ice-server""#), preflight.text)
            XCTAssertTrue(preflight.text.contains(turn), preflight.text)
            // httpmux's CORS headers complete the plugin's answer.
            XCTAssertTrue(preflight.text.contains("Access-Control-Allow-Origin: *"), preflight.text)
            XCTAssertTrue(preflight.text.contains("Access-Control-Allow-Headers: content-type"), preflight.text)
        }
        let resource = try post("http://127.0.0.1:\(http)/index/api/delete_webrtc?id=x&token=y", body: "", method: "OPTIONS")
        XCTAssertTrue(resource.text.contains("Accept-Patch: application/trickle-ice-sdpfrag"), resource.text)
        // Other paths keep httpmux's own preflight.
        let api = try post("http://127.0.0.1:\(http)/index/api/getServerConfig", body: "", method: "OPTIONS")
        XCTAssertEqual(api.code, 204, api.text)
        XCTAssertFalse(api.text.contains("ice-server"), api.text)

        let offer = try String(contentsOfFile: Self.fixtures + "/chromium156-whep.sdp", encoding: .utf8)
        let answer = try post("http://127.0.0.1:\(http)/live/a/whep", body: offer)
        XCTAssertEqual(answer.code, 201, answer.text)
        XCTAssertTrue(answer.text.contains(turn), answer.text)
        XCTAssertNotNil(answer.text.range(of: #"ETag: "[A-Za-z0-9+/]{8}""#, options: .regularExpression), answer.text)
        let unknown = try post("http://127.0.0.1:\(http)/index/api/delete_webrtc?id=x&token=y", body: "a=end-of-candidates\r\n", method: "PATCH",
                               headers: ["Content-Type: application/trickle-ice-sdpfrag"])
        XCTAssertEqual(unknown.code, 404, unknown.text)

        // aiortc plays, then PATCHes its session halfway (Clients/ice_restart.py) and plays on.
        let r = try whep("http://127.0.0.1:\(http)/live/a/whep", seconds: 8, patch: true)
        let patch = r["patch"] as? [String: Any] ?? [:]
        XCTAssertEqual(r["status"] as? Int, 201, "\(r)\n\(s.log)")
        XCTAssertEqual(patch["trickle"] as? Int, 204, "\(r)")
        XCTAssertEqual(patch["trickle_etag"] as? String, r["etag"] as? String, "\(r)")
        XCTAssertEqual(patch["stale_if_match"] as? Int, 412, "\(r)")
        XCTAssertEqual(patch["wrong_type"] as? Int, 415, "\(r)")
        XCTAssertEqual(patch["restart"] as? Int, 200, "\(r)")
        XCTAssertEqual(patch["restart_type"] as? String, "application/trickle-ice-sdpfrag", "\(r)")
        XCTAssertNotEqual(patch["restart_etag"] as? String, r["etag"] as? String, "\(r)")
        XCTAssertEqual(patch["server_ufrag_changed"] as? Bool, true, "\(r)")
        XCTAssertEqual(patch["ice_lite"] as? Bool, true, "\(r)")
        // The session is found by the new ufrag only, and its DTLS/SRTP go on: frames keep decoding.
        XCTAssertEqual(patch["old_credentials_answered"] as? Bool, false, "\(r)")
        XCTAssertEqual(patch["new_credentials_answered"] as? Bool, true, "\(r)\n\(s.log)")
        XCTAssertGreaterThanOrEqual(r["video_frames_after_patch"] as? Int ?? 0, 60, "\(r)\n\(s.log)")
        XCTAssertEqual(r["delete_status"] as? Int, 200, "\(r)")
        XCTAssertTrue(s.log.contains("ICE restart, DTLS and SRTP kept"), s.log)
    }

    /// ZLMediaKit's webrtc player page: `POST /index/api/webrtc?type=play` with the raw offer, JSON back.
    func testLegacyWebrtcApiAnswersInZlmediakitJson() throws {
        let (s, publisher, http, _) = try serverWithRtmpSource()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { publisher.terminate() }
        func json(_ query: String, _ body: String) throws -> [String: Any] {
            let r = try post("http://127.0.0.1:\(http)/index/api/webrtc?\(query)", body: body)
            XCTAssertEqual(r.code, 200, r.text)
            let text = r.text.components(separatedBy: "\r\n\r\n").last ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? ["unparsed": r.text]
        }
        let offer = try String(contentsOfFile: Self.fixtures + "/chromium156-whep.sdp", encoding: .utf8)
        let ok = try json("app=live&stream=a&type=play", offer)
        XCTAssertEqual(ok["code"] as? Int, 0, "\(ok)")
        XCTAssertEqual(ok["type"] as? String, "answer", "\(ok)")
        XCTAssertTrue((ok["sdp"] as? String ?? "").contains("a=ice-lite"), "\(ok)")
        XCTAssertFalse((ok["id"] as? String ?? "").isEmpty, "\(ok)")
        XCTAssertEqual(try json("app=live&stream=a", offer)["code"] as? Int, -300)
        XCTAssertEqual(try json("app=live&type=play", offer)["code"] as? Int, -300)
        let echo = try json("app=live&stream=a&type=echo", offer)
        XCTAssertEqual(echo["code"] as? Int, -400, "\(echo)")
        XCTAssertTrue((echo["msg"] as? String ?? "").contains("echo"), "\(echo)")
        let bad = try json("app=live&stream=a&type=play", "hello")
        XCTAssertEqual(bad["code"] as? Int, -400, "\(bad)")
        XCTAssertTrue((bad["msg"] as? String ?? "").contains("bad SDP offer"), "\(bad)")
        XCTAssertEqual(try json("app=live&stream=nothing&type=play", offer)["code"] as? Int, -400)
        // A recvonly offer has nothing to push.
        XCTAssertEqual(try json("app=live&stream=b&type=push", offer)["code"] as? Int, -400)
    }

    /// Offers built to cost: each gets a 4xx with its reason while an aiortc player of the same server decodes on.
    func testAbsurdOffersGetReasonsWhileAPlayerKeepsDecoding() throws {
        let (s, publisher, http, _) = try serverWithRtmpSource()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { publisher.terminate() }
        let player = Process()
        player.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        player.arguments = ["python3", Self.client, "http://127.0.0.1:\(http)/live/a/whep", "--seconds", "6"]
        let out = Pipe()
        player.standardOutput = out
        player.standardError = FileHandle.nullDevice
        try player.run()
        defer { if player.isRunning { player.terminate() } }
        XCTAssertTrue(s.waitForLog("DTLS connected"), s.log)

        let url = "http://127.0.0.1:\(http)/live/a/whep"
        var generator = SystemRandomNumberGenerator()
        let garbage = String(decoding: (0..<4000).map { _ in UInt8.random(in: 1...255, using: &generator) }, as: UTF8.self)
        let cases: [(String, String, Int, String)] = [
            ("1,000 m-lines", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + String(repeating: "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", count: 1000),
             400, "SDP has 1000 media sections"),
            ("an offer over 64 KB", Self.offer(video: ["H264/90000"], mediaSections: 300), 413, "offer too large"),
            ("a 60 KB attribute", Self.offer(video: ["H264/90000"], extraLine: "a=x-junk:" + String(repeating: "j", count: 60_000)), 400, "longer than"),
            ("no usable codec", Self.offer(video: ["VP8/90000", "AV1/90000"]), 400, "cannot answer"),
            ("binary garbage", garbage, 400, "bad SDP offer"),
        ]
        for (what, body, status, reason) in cases {
            let r = try post(url, body: body)
            XCTAssertEqual(r.code, status, "\(what): \(r.text.prefix(600))")
            XCTAssertTrue(r.text.contains(reason), "\(what): \(r.text.prefix(600))")
        }
        player.waitUntilExit()
        let line = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").last ?? ""
        let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 110, "\(line)\n\(s.log)")
        XCTAssertEqual(r["delete_status"] as? Int, 200, "\(line)")
    }

    /// FFmpeg's WHIP muxer (its own ICE, GnuTLS DTLS with a P-224 certificate, SRTP) publishes H.264 + Opus with
    /// a bearer token: on_publish gets it as ZLMediaKit passes it, and the stream plays over RTSP and RTMP.
    func testFfmpegWhipMuxerPublishesWithABearerTokenAndPlaysBackOverRtspAndRtmp() throws {
        let hooks = try HookReceiver()
        let http = freePort(), rtmp = freePort(), rtsp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [webrtc]
            port = \(udp)
            bind = "127.0.0.1"
            [hook]
            enable = true
            on_publish = "\(hooks.url("on_publish"))"
            """)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        publisher.arguments = ["python3", Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/ffmpeg_whip_client.py").path,
                               "http://127.0.0.1:\(http)/live/f/whip?sign=42", "--seconds", "14", "--token", "t0ken"]
        let out = Pipe()
        publisher.standardOutput = out
        publisher.standardError = FileHandle.nullDevice
        try publisher.run()
        defer { if publisher.isRunning { publisher.terminate() } }
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 15), s.log)
        let ask = hooks.bodies("on_publish").first ?? [:]
        XCTAssertEqual(ask["schema"] as? String, "webrtc", "\(ask)")
        XCTAssertEqual(ask["params"] as? String, "sign=42&Authorization=Bearer%20t0ken", "\(ask)")

        let viaRtsp = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/f", seconds: 4)
        XCTAssertEqual(viaRtsp.videoCodec, "h264", s.log)
        XCTAssertEqual(viaRtsp.audioCodec, "opus", s.log)
        XCTAssertEqual(viaRtsp.width, 320, s.log)
        XCTAssertGreaterThan(viaRtsp.videoFrames, 60, s.log)
        XCTAssertGreaterThan(viaRtsp.audioFrames, 100, s.log)
        // ffprobe does not know Opus in RTMP and reads on to the end of the publish: last.
        let viaRtmp = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/f", seconds: 3)
        XCTAssertEqual(viaRtmp.videoCodec, "h264", s.log)
        XCTAssertGreaterThan(viaRtmp.videoFrames, 40, s.log)

        publisher.waitUntilExit()
        let line = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(publisher.terminationStatus, 0, line)
        XCTAssertFalse(line.contains("error"), line)
        // FFmpeg's muxer ends with a DTLS close_notify and a DELETE; either may reach the server first.
        XCTAssertTrue(waitUntil(timeout: 10) { s.log.contains("ended: deleted by the client") || s.log.contains("ended: the client closed DTLS") },
                      s.log)
    }
}
