import Foundation
import XCTest

/// Keyframe requests across plugins (ABI 1.4), WebRTC sessions in getAllSession/kick_session, and a WHIP
/// publisher returning within the reconnect window (ZLMediaKit's continue_push_ms) under a WHEP player.
extension WebrtcWhepTests {
    static let whipClient = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/whip_client.py").path

    /// A python client in the background; its last JSON line is read with `result(of:)` once it exits.
    func background(_ script: String, _ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, out)
    }

    func result(of client: (Process, Pipe), timeout: TimeInterval = 40) -> [String: Any] {
        let (p, out) = client
        _ = waitUntil(timeout: timeout) { !p.isRunning }
        if p.isRunning { p.terminate() }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? ["raw": text]
    }

    func webrtcSessions(_ http: Int) throws -> [[String: Any]] {
        let answer = try SrtTools.api(http, "getAllSession")
        return (answer["data"] as? [[String: Any]] ?? []).filter { $0["protocol"] as? String == "webrtc" }
    }

    /// aiortc's WHEP player sends PLIs while playing a WHIP publish: each reaches the core as a keyframe
    /// request (at most one per 500 ms) and the publisher's session sends its client an SRTP-protected PLI.
    func testWhepPlayersPliBecomesAPliToTheWhipPublisher() throws {
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try server(http: http, rtmp: rtmp, udp: udp)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try background(Self.whipClient, ["http://127.0.0.1:\(http)/index/api/whip?app=live&stream=kf", "--seconds", "25"])
        defer { if publisher.0.isRunning { publisher.0.terminate() } }
        XCTAssertTrue(s.waitForLog("webrtc publisher live/kf from 127.0.0.1", timeout: 15), s.log)
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 10), s.log)
        Thread.sleep(forTimeInterval: 1.5)
        // PLIs until the publisher's first keyframe are the session's own; count from here.
        let before = webrtcStat(http, "pli_sent")
        XCTAssertEqual(webrtcStat(http, "keyframe_requests_in"), 0, "nobody asked yet")

        let r = try whep("http://127.0.0.1:\(http)/live/kf/whep", seconds: 5, extra: ["--pli", "4"])
        XCTAssertEqual(r["status"] as? Int, 201, "\(r)\n\(s.log)")
        XCTAssertEqual(r["pli_sent"] as? Int, 4, "\(r)")
        XCTAssertGreaterThan(r["video_frames"] as? Int ?? 0, 40, "\(r)\n\(s.log)")
        XCTAssertEqual(webrtcStat(http, "pli_received"), 4, s.log)
        // 0.7 s apart, over the core's 500 ms: every one is forwarded.
        XCTAssertEqual(webrtcStat(http, "keyframe_requested"), 4, s.log)
        XCTAssertEqual(webrtcStat(http, "keyframe_requests_in"), 4, s.log)
        XCTAssertGreaterThanOrEqual(webrtcStat(http, "pli_sent") - before, 3, "the publisher's PLIs are limited to one per 500 ms of its own\n\(s.log)")
        XCTAssertEqual(webrtcStat(http, "pli_ignored"), 0, s.log)

        // The publisher's session: listed with its numbers, and the origin of its stream in getMediaList.
        let sessions = try webrtcSessions(http)
        let pub = try XCTUnwrap(sessions.first { $0["role"] as? String == "publisher" }, "\(sessions)")
        let stats = pub["stats"] as? [String: Any] ?? [:]
        print("webrtc publisher session: \(pub)")
        XCTAssertEqual(stats["state"] as? String, "playing", "\(stats)")
        XCTAssertGreaterThan((stats["rtp_packets_in"] as? NSNumber)?.intValue ?? 0, 100, "\(stats)")
        XCTAssertGreaterThanOrEqual((stats["pli_sent"] as? NSNumber)?.intValue ?? 0, 3, "\(stats)")
        let media = (try SrtTools.api(http, "getMediaList", ["app": "live", "stream": "kf"])["data"] as? [[String: Any]]) ?? []
        XCTAssertFalse(media.isEmpty)
        for item in media {
            XCTAssertEqual((item["originSock"] as? [String: Any])?["identifier"] as? String, pub["id"] as? String, "\(item)")
            XCTAssertEqual(item["originTypeStr"] as? String, "rtc_push", "\(item)")
        }
    }

    /// An RTSP publisher (ffmpeg's RECORD over TCP) gets the WHEP player's keyframe requests as RTCP PLI on
    /// the video track's interleaved RTCP channel; ffmpeg ignores them but must not choke on them.
    func testWhepPlayersPliBecomesAPliToAnRtspPublisher() throws {
        let http = freePort(), rtmp = freePort(), rtsp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: "[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let ffmpeg = try MediaTools.publish("rtsp://127.0.0.1:\(rtsp)/live/r", seconds: 30, format: "rtsp", extra: ["-rtsp_transport", "tcp"])
        defer { ffmpeg.terminate() }
        XCTAssertTrue(s.waitForLog("publish live/r from"), s.log)
        let r = try whep("http://127.0.0.1:\(http)/live/r/whep", seconds: 4, extra: ["--pli", "3"])
        XCTAssertEqual(r["status"] as? Int, 201, "\(r)\n\(s.log)")
        XCTAssertEqual(r["pli_sent"] as? Int, 3, "\(r)")
        XCTAssertGreaterThan(r["video_frames"] as? Int ?? 0, 40, "\(r)\n\(s.log)")
        XCTAssertEqual(webrtcStat(http, "keyframe_requested"), 3, s.log)
        let text = talk(port: http, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n") ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("mediarouter_plugin_stat{plugin=\"rtsp\",name=\"pli_sent\"} ") }
        XCTAssertEqual(line.flatMap { Double($0.split(separator: " ").last ?? "") }, 3, text)
        XCTAssertTrue(ffmpeg.isRunning, "the RTSP publisher goes on: \(s.log)")
    }

    /// getAllSession lists a WHEP player of an RTMP stream with its numbers; its PLI finds no publisher to ask
    /// (RTMP cannot); kick_session ends it.
    func testGetAllSessionListsAWhepPlayerAndKickSessionEndsIt() throws {
        let (s, ffmpeg, http, udp) = try serverWithRtmpSource()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { ffmpeg.terminate() }
        let player = try background(Self.client, ["http://127.0.0.1:\(http)/live/a/whep", "--seconds", "12", "--pli", "1"])
        defer { if player.0.isRunning { player.0.terminate() } }
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 15), s.log)
        XCTAssertTrue(waitUntil(timeout: 5) { self.webrtcStat(http, "pli_received") == 1 }, s.log)
        XCTAssertEqual(webrtcStat(http, "pli_ignored"), 1, "an RTMP publisher takes no keyframe requests")
        XCTAssertEqual(webrtcStat(http, "keyframe_requested"), 0)

        var item: [String: Any] = [:]
        // The list's numbers are copied from the session's loop every half second; RTT needs a receiver
        // report that answers one of our sender reports (sent every second).
        XCTAssertTrue(waitUntil(timeout: 8) {
            item = ((try? self.webrtcSessions(http)) ?? []).first ?? [:]
            let stats = item["stats"] as? [String: Any] ?? [:]
            return (stats["pli_received"] as? NSNumber)?.intValue == 1 && stats["rtt_ms"] != nil
        }, "\(item)\n\(s.log)")
        print("webrtc player session: \(item)")
        let id = item["id"] as? String ?? ""
        XCTAssertTrue(id.hasPrefix("webrtc-"), "\(item)")
        XCTAssertEqual(item["role"] as? String, "player")
        XCTAssertEqual(item["app"] as? String, "live")
        XCTAssertEqual(item["stream"] as? String, "a")
        XCTAssertEqual(item["peer_ip"] as? String, "127.0.0.1")
        XCTAssertEqual(item["local_port"] as? Int, udp)
        let stats = item["stats"] as? [String: Any] ?? [:]
        XCTAssertEqual(stats["state"] as? String, "playing", "\(stats)")
        XCTAssertFalse((stats["srtp_profile"] as? String ?? "").isEmpty, "\(stats)")
        XCTAssertGreaterThan((stats["datagrams_out"] as? NSNumber)?.intValue ?? 0, 10, "\(stats)")
        XCTAssertGreaterThan((stats["datagrams_in"] as? NSNumber)?.intValue ?? 0, 0, "\(stats)")
        XCTAssertGreaterThan((stats["bytes_out"] as? NSNumber)?.intValue ?? 0, 10_000, "\(stats)")
        XCTAssertLessThan((stats["rtt_ms"] as? NSNumber)?.doubleValue ?? 999, 100, "loopback: \(stats)")
        XCTAssertNotNil(stats["retransmitted"], "\(stats)")
        XCTAssertNotNil(stats["bframes_dropped"], "\(stats)")

        let kicked = try SrtTools.api(http, "kick_session", ["id": id])
        XCTAssertEqual((kicked["code"] as? NSNumber)?.intValue, 0, "\(kicked)")
        XCTAssertTrue(s.waitForLog("ended: kicked through the API"), s.log)
        XCTAssertTrue(waitUntil(timeout: 5) { ((try? self.webrtcSessions(http)) ?? [[:]]).isEmpty }, s.log)
        XCTAssertNotEqual((try SrtTools.api(http, "kick_session", ["id": id])["code"] as? NSNumber)?.intValue, 0, "gone now")
        let r = result(of: player)
        XCTAssertEqual(r["status"] as? Int, 201, "\(r)")
        XCTAssertGreaterThan(r["video_frames"] as? Int ?? 0, 10, "it played until the kick: \(r)")
    }

    /// A WHIP publisher DELETEs and a new one publishes the same stream within `[server] reconnect_window_ms`
    /// (ZLMediaKit's protocol.continue_push_ms): the WHEP player of it is not ended and decodes the second
    /// publisher's pictures on the same session.
    func testWhipPublisherReturningWithinTheReconnectWindowKeepsAWhepPlayerPlaying() throws {
        try publisherReturns(vanishing: false)
    }

    /// The same when the first publisher vanishes without a DELETE (killed): its session ends after
    /// `publisher_timeout_ms` without media, and the window starts there.
    func testWhipPublisherThatVanishedAndReturnsWithinTheWindowKeepsAWhepPlayerPlaying() throws {
        try publisherReturns(vanishing: true)
    }

    private func publisherReturns(vanishing: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let http = freePort(), udp = freePort()
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 5000
            reconnect_window_ms = 5000
            [httpmux]
            port = \(http)
            [webrtc]
            port = \(udp)
            bind = "127.0.0.1"
            publisher_timeout_ms = 1500
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started"), s.log)
        let url = "http://127.0.0.1:\(http)/index/api/whip?app=live&stream=re"
        let first = try background(Self.whipClient, [url, "--seconds", vanishing ? "30" : "5"])
        defer { if first.0.isRunning { first.0.terminate() } }
        XCTAssertTrue(s.waitForLog("publishing", timeout: 15), s.log, file: file, line: line)
        Thread.sleep(forTimeInterval: 1)
        let player = try background(Self.client, ["http://127.0.0.1:\(http)/live/re/whep", "--seconds", "13", "--mark", "8"])
        defer { if player.0.isRunning { player.0.terminate() } }

        if vanishing {
            Thread.sleep(forTimeInterval: 2.5)
            kill(first.0.processIdentifier, SIGKILL)
            XCTAssertTrue(s.waitForLog("ended: no media from the publisher for 1500 ms", timeout: 5), s.log, file: file, line: line)
        } else {
            let a = result(of: first, timeout: 20)
            XCTAssertEqual(a["delete_status"] as? Int, 200, "the first publisher DELETEd its session: \(a)\n\(s.log)", file: file, line: line)
        }
        let second = try background(Self.whipClient, [url, "--seconds", "12"])
        defer { if second.0.isRunning { second.0.terminate() } }
        XCTAssertTrue(s.waitForLog("resumes within the reconnect window", timeout: 10), s.log, file: file, line: line)

        let r = result(of: player)
        XCTAssertEqual(r["status"] as? Int, 201, "\(r)\n\(s.log)", file: file, line: line)
        XCTAssertEqual(r["delete_status"] as? Int, 200, "the player's session lived to its own DELETE: \(r)\n\(s.log)", file: file, line: line)
        XCTAssertGreaterThan(r["video_frames_after_mark"] as? Int ?? 0, 40, "the second publisher's pictures decode: \(r)\n\(s.log)", file: file, line: line)
        XCTAssertFalse(s.log.contains("ended: the stream ended"), s.log, file: file, line: line)
        XCTAssertFalse(s.log.contains("did not return within"), s.log, file: file, line: line)
    }
}

extension XCTestCase {
    /// The webrtc plugin's stat `name` in /metrics, 0 when absent.
    func webrtcStat(_ http: Int, _ name: String) -> Int {
        let text = talk(port: http, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n") ?? ""
        let prefix = "mediarouter_plugin_stat{plugin=\"webrtc\",name=\"\(name)\"} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }.map { Int($0) } ?? 0
    }
}
