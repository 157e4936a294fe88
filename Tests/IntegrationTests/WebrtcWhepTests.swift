import Foundation
import XCTest

/// WHEP play with independent WebRTC stacks: ffmpeg publishes H.264 + AAC over RTMP, aiortc (PyPI) plays over
/// WHEP through ICE-lite, DTLS-SRTP and our H.264 packetization and decodes the frames; the answers to real
/// offers (Chromium's fixture) and the error statuses are checked over plain HTTP.
final class WebrtcWhepTests: XCTestCase {
    static let client = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/whep_client.py").path
    static let fixtures = Build.repoRoot.appendingPathComponent("Tests/WebRtcProtocolTests/Fixtures").path

    func server(http: Int, rtmp: Int, udp: Int, extra: String = "", name: String = #function) throws -> ServerProcess {
        try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http,
                                  extra: "[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"\n\(extra)", name: name)
    }

    /// A server whose live/a is published by ffmpeg over RTMP (H.264 + AAC, 30 s); the caller stops both.
    func serverWithRtmpSource(name: String = #function) throws -> (ServerProcess, Process, http: Int, udp: Int) {
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try server(http: http, rtmp: rtmp, udp: udp, name: name)
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 30)
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)
        return (s, publisher, http, udp)
    }

    func whep(_ url: String, seconds: Int = 4, audio: Bool = false, patch: Bool = false, extra: [String] = []) throws -> [String: Any] {
        let (status, out) = try runCommand("/usr/bin/env", ["python3", Self.client, url, "--seconds", String(seconds)] + (audio ? ["--audio"] : []) + (patch ? ["--patch"] : []) + extra,
                                           timeout: 40)
        XCTAssertEqual(status, 0, out)
        let line = out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? ["raw": out]
    }

    /// POSTs `body` and returns the status line's code, the headers and the body as curl printed them.
    func post(_ url: String, body: String, method: String = "POST", headers: [String] = []) throws -> (code: Int, text: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mr-offer-\(UUID().uuidString)")
        try body.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, out) = try runCommand("/usr/bin/curl", ["-s", "-i", "-X", method, "-H", "Content-Type: application/sdp"]
                                      + headers.flatMap { ["-H", $0] } + ["--data-binary", "@\(file.path)", url], timeout: 20)
        let code = out.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return (code, out)
    }

    func testAiortcPlaysAnRtmpStreamOverWhepAndDeletesTheSession() throws {
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try server(http: http, rtmp: rtmp, udp: udp)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[webrtc] listening on 127.0.0.1:\(udp)/udp"), s.log)
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 40)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        for url in ["http://127.0.0.1:\(http)/index/api/whep?app=live&stream=a", "http://127.0.0.1:\(http)/live/a/whep"] {
            let r = try whep(url)
            XCTAssertEqual(r["status"] as? Int, 201, "\(r)\n\(s.log)")
            XCTAssertEqual(r["ice_state"] as? String, "completed", "\(r)")
            // 25 fps for 4 s, minus the handshake: a decoder that got broken packets or no keyframe decodes none.
            XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 70, "\(r)\n\(s.log)")
            XCTAssertEqual(r["width"] as? Int, 320, "\(r)")
            XCTAssertLessThan(r["first_frame_s"] as? Double ?? 99, 2.0, "\(r)")
            XCTAssertEqual(r["delete_status"] as? Int, 200, "\(r)")
            XCTAssertTrue((r["location"] as? String ?? "").hasPrefix("/index/api/delete_webrtc?id="), "\(r)")
        }
        XCTAssertTrue(s.waitForLog("ended: deleted by the client", count: 2), s.log)
        XCTAssertTrue(s.log.contains("DTLS connected"), s.log)
        XCTAssertTrue(s.log.contains("aac cannot go to a WebRTC client"), s.log)
    }

    func testChromiumOfferGetsAVideoOnlyIceLiteAnswerAndBadRequestsGetReasons() throws {
        let (s, publisher, http, udp) = try serverWithRtmpSource()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { publisher.terminate() }

        let offer = try String(contentsOfFile: Self.fixtures + "/chromium156-whep.sdp", encoding: .utf8)
        let ok = try post("http://127.0.0.1:\(http)/live/a/whep", body: offer)
        XCTAssertEqual(ok.code, 201, ok.text)
        XCTAssertTrue(ok.text.contains("Location: /index/api/delete_webrtc?id="), ok.text)
        XCTAssertTrue(ok.text.contains("a=ice-lite"), ok.text)
        // The AAC source cannot go to a browser: the audio section is refused, the video one carries H.264 mode 1.
        XCTAssertTrue(ok.text.contains("m=audio 0 "), ok.text)
        XCTAssertTrue(ok.text.contains("packetization-mode=1"), ok.text)
        // Bound to 127.0.0.1: that is the only candidate, on the configured port.
        let candidates = ok.text.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }
        XCTAssertFalse(candidates.isEmpty, ok.text)
        XCTAssertTrue(candidates.allSatisfy { $0.contains(" 127.0.0.1 \(udp) typ host") }, ok.text)

        let bad = try post("http://127.0.0.1:\(http)/index/api/whep?app=live&stream=a", body: "hello")
        XCTAssertEqual(bad.code, 400, bad.text)
        XCTAssertTrue(bad.text.contains("bad SDP offer"), bad.text)
        let missing = try post("http://127.0.0.1:\(http)/live/nothing/whep", body: offer)
        XCTAssertEqual(missing.code, 404, missing.text)
        let preflight = try post("http://127.0.0.1:\(http)/live/a/whep", body: "", method: "OPTIONS")
        XCTAssertEqual(preflight.code, 204, preflight.text)
        XCTAssertTrue(preflight.text.contains("Accept-Post: application/sdp"), preflight.text)
        // A recvonly offer to a WHIP endpoint has nothing to publish.
        let whip = try post("http://127.0.0.1:\(http)/live/b/whip", body: offer)
        XCTAssertEqual(whip.code, 400, whip.text)
        let unknownSession = try post("http://127.0.0.1:\(http)/index/api/delete_webrtc?id=x&token=y", body: "", method: "DELETE")
        XCTAssertEqual(unknownSession.code, 404, unknownSession.text)
    }

    /// Headless Chromium (its own WebRTC stack, OpenH264 decoder) plays the RTMP stream over WHEP from a page on
    /// the server's origin and reports getStats: decoded frames, the SRTP cipher, the time to the first frame.
    func testChromiumPlaysAnRtmpStreamOverWhep() throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http,
                                          extra: "www_root = \"\(ChromiumTests.clients)\"\n[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 40)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        let r = try ChromiumTests.run(page: "http://127.0.0.1:\(http)/whep_player.html?src=/live/a/whep&frames=75&timeout=15",
                                      marker: "WHEP-RESULT ",
                                      flags: ["--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
                                      pageTimeout: 15)
        print("Chromium WHEP: \(r.raw)")
        XCTAssertEqual(r.int("http"), 201, r.raw + "\n" + s.log)
        XCTAssertEqual(r.string("status"), "ok", r.raw + "\n" + s.log)
        XCTAssertGreaterThanOrEqual(r.int("frames") ?? 0, 75, r.raw)
        XCTAssertEqual(r.int("width"), 320, r.raw)
        XCTAssertNotNil(r.string("srtpCipher"), r.raw)
        XCTAssertLessThan(r.int("firstFrameMs") ?? 99_999, 3_000, r.raw)
    }

    /// aiortc publishes over WHIP (H.264 + Opus): the stream plays back over RTMP (ffprobe counts frames) and over
    /// WHEP with audio (aiortc decodes both).
    func testAiortcPublishesOverWhipAndPlaysBackOverRtmpAndWhep() throws {
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try server(http: http, rtmp: rtmp, udp: udp)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        publisher.arguments = ["python3", Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/whip_client.py").path,
                               "http://127.0.0.1:\(http)/index/api/whip?app=live&stream=w", "--seconds", "20"]
        publisher.standardOutput = FileHandle.nullDevice
        publisher.standardError = FileHandle.nullDevice
        try publisher.run()
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("webrtc publisher live/w from 127.0.0.1", timeout: 15), s.log)
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 10), s.log)

        let r = try whep("http://127.0.0.1:\(http)/live/w/whep", audio: true)
        let out = "\(r)"
        XCTAssertEqual(r["status"] as? Int, 201, out + s.log)
        XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 40, out + s.log)
        XCTAssertGreaterThan(r["audio_frames"] as? Int ?? 0, 50, out)
        // ffprobe does not know Opus in RTMP and reads on to the end of the publish: last.
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/w", seconds: 3)
        XCTAssertEqual(p.videoCodec, "h264", s.log)
        XCTAssertEqual(p.width, 640, s.log)
        XCTAssertGreaterThan(p.videoFrames, 40, s.log)
    }

    /// Garbage on the shared port (bad STUN, STUN for nobody, DTLS and RTP from unknown addresses) is dropped and
    /// counted; a player that comes after still plays.
    func testGarbageDatagramsAreDroppedAndPlayersStillPlay() throws {
        let (s, publisher, http, udp) = try serverWithRtmpSource()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { publisher.terminate() }

        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = UInt16(udp).bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        var generator = SystemRandomNumberGenerator()
        // A binding request header with a length beyond the datagram, one for an unknown ufrag, then DTLS/RTP/other.
        var junk: [[UInt8]] = [[0x00, 0x01, 0x7F, 0xF0, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 1, count: 12)]
        junk.append([0x00, 0x01, 0x00, 0x0C, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 2, count: 12) + [0x00, 0x06, 0x00, 0x08] + Array("nobody:x".utf8))
        for first: UInt8 in [0x16, 0x80, 0x90, 0xFF] {
            for _ in 0..<50 { junk.append([first] + (0..<Int.random(in: 1...1400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        }
        for d in junk {
            _ = withUnsafePointer(to: &to) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, d, d.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        let r = try whep("http://127.0.0.1:\(http)/live/a/whep")
        XCTAssertEqual(r["status"] as? Int, 201, "\(r)")
        XCTAssertGreaterThanOrEqual(r["video_frames"] as? Int ?? 0, 70, "\(r)\n\(s.log)")
        let metrics = talk(port: http, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n") ?? ""
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("mediarouter_plugin_stat{plugin=\"webrtc\",name=\"datagrams_dropped\"} ") }
        let dropped = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        XCTAssertGreaterThanOrEqual(Int(dropped), junk.count, metrics)
    }
}
