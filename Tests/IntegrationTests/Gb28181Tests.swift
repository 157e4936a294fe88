import Foundation
import XCTest

/// The GB28181 RTP proxy against the real binary, fed by Clients/ps_rtp_sender.py (a PS-over-RTP sender
/// written from ISO/IEC 13818-1, not from the server's demuxer), driven through ZLMediaKit's REST API as
/// wvp-GB28181-pro drives it (form POSTs, secret in the body).
final class Gb28181Tests: XCTestCase {
    private var g: Gb28181Harness?

    /// A 25 fps H.264 Annex B file without B-frames, one keyframe a second, made once per run.
    private static let h264: String = {
        let path = NSTemporaryDirectory() + "mr-gb-\(getpid()).h264"
        _ = try? runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                                                "testsrc2=size=320x240:rate=25", "-t", "4", "-c:v", "libx264", "-bf", "0", "-g", "25",
                                                "-pix_fmt", "yuv420p", "-bsf:v", "h264_mp4toannexb", "-f", "h264", path], timeout: 60)
        return path
    }()

    private func post(_ name: String, _ fields: [String: String]) throws -> [String: Any] { try XCTUnwrap(g).post(name, fields) }

    private func server(fixedPort: Int = 0, timeout: Int = 15, extra: String = "") throws -> Gb28181Harness {
        let s = try Gb28181Harness(fixedPort: fixedPort, timeout: timeout, extra: extra)
        g = s
        return s
    }

    private func send(port: Int, transport: String = "udp", ssrc: UInt32 = 0x12345678, seconds: Double = 4, extra: [String] = []) throws -> Process {
        try Gb28181Harness.psSender(Self.h264, port: port, transport: transport, ssrc: ssrc, seconds: seconds, extra: extra)
    }

    private func open(_ stream: String, tcpMode: Int = 0, ssrc: String? = nil) throws -> Int {
        try XCTUnwrap(g).open(stream, tcpMode: tcpMode, ssrc: ssrc)
    }

    private func mediaItem(_ stream: String) -> [String: Any]? { g?.mediaItem(stream) }

    func testUdpPsPlaysOverRtmpAndRtspWithG711AndTheWvpContract() throws {
        let s = try server()
        defer { s.stop() }
        // wvp asks getRtpInfo first, then opens.
        XCTAssertEqual(try post("getRtpInfo", ["stream_id": "34020000"])["exist"] as? Bool, false)
        let port = try open("34020000")
        let info = try post("getRtpInfo", ["stream_id": "34020000", "app": "rtp"])
        XCTAssertEqual(info["exist"] as? Bool, true)
        XCTAssertEqual(info["local_port"] as? Int, port)
        let list = try post("listRtpServer", [:])["data"] as? [[String: Any]]
        XCTAssertEqual(list?.first?["port"] as? Int, port)
        XCTAssertEqual(list?.first?["stream_id"] as? String, "34020000")

        let sender = try send(port: port, seconds: 12)
        defer { sender.terminate() }
        XCTAssertTrue(waitUntil(timeout: 10) { self.mediaItem("34020000") != nil }, s.log)
        let item = try XCTUnwrap(mediaItem("34020000"))
        XCTAssertEqual(item["originType"] as? Int, 3)
        XCTAssertEqual(item["originTypeStr"] as? String, "rtp_push")
        let peer = try post("getRtpInfo", ["stream_id": "34020000"])
        XCTAssertEqual(peer["peer_ip"] as? String, "127.0.0.1")
        XCTAssertGreaterThan(peer["peer_port"] as? Int ?? 0, 0)

        let rtmpPort = s.rtmp
        let rtmp = try MediaTools.probe("rtmp://127.0.0.1:\(rtmpPort)/rtp/34020000", seconds: 3)
        XCTAssertEqual(rtmp.videoCodec, "h264")
        XCTAssertEqual(rtmp.width, 320)
        // 3 s at 25 fps, from the keyframe the player starts at.
        XCTAssertGreaterThan(rtmp.videoFrames, 50, "\(rtmp)")
        let rtsp = try MediaTools.probe("rtsp://127.0.0.1:\(s.rtsp)/rtp/34020000", seconds: 3, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(rtsp.videoCodec, "h264")
        XCTAssertEqual(rtsp.audioCodec, "pcm_alaw")
        XCTAssertGreaterThan(rtsp.videoFrames, 50, "\(rtsp)")

        XCTAssertEqual(try post("closeRtpServer", ["stream_id": "34020000", "app": "rtp"])["hit"] as? Int, 1)
        XCTAssertEqual(try post("closeRtpServer", ["stream_id": "34020000", "app": "rtp"])["hit"] as? Int, 0)
        XCTAssertEqual(try post("getRtpInfo", ["stream_id": "34020000"])["exist"] as? Bool, false)
    }

    private func assertTcpPlays(transport: String, garbage: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try server()
        defer { s.stop() }
        let port = try open("TCP\(transport)", tcpMode: 1)
        let sender = try send(port: port, transport: transport, seconds: 10, extra: garbage ? ["--garbage"] : [])
        defer { sender.terminate() }
        XCTAssertTrue(waitUntil(timeout: 10) { self.mediaItem("TCP\(transport)") != nil }, s.log, file: file, line: line)
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(s.rtmp)/rtp/TCP\(transport)", seconds: 3)
        XCTAssertEqual(p.videoCodec, "h264", file: file, line: line)
        XCTAssertGreaterThan(p.videoFrames, 40, "\(p)", file: file, line: line)
        if garbage { XCTAssertTrue(s.log.contains("corrupt RTP-over-TCP length"), s.log, file: file, line: line) }
    }

    func testTcpPassiveRfc4571() throws { try assertTcpPlays(transport: "tcp4571") }
    func testTcpPassiveDollarFraming() throws { try assertTcpPlays(transport: "tcpdollar") }
    func testTcpPeerSendingAGarbageLengthIsResynchronised() throws { try assertTcpPlays(transport: "tcp4571", garbage: true) }

    func testTcpActiveServerDials() throws {
        let s = try server()
        defer { s.stop() }
        let port = try open("ACTIVE", tcpMode: 2)
        let devicePort = freePort()
        let sender = try send(port: devicePort, transport: "listen", seconds: 10)
        defer { sender.terminate() }
        Thread.sleep(forTimeInterval: 0.5)
        let r = try post("connectRtpServer", ["stream_id": "ACTIVE", "app": "rtp", "dst_url": "127.0.0.1", "dst_port": String(devicePort)])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        XCTAssertTrue(waitUntil(timeout: 10) { self.mediaItem("ACTIVE") != nil }, s.log)
        // Dialled from the RTP port, where the OS allows it.
        XCTAssertEqual(try post("getRtpInfo", ["stream_id": "ACTIVE"])["local_port"] as? Int, port)
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(s.rtmp)/rtp/ACTIVE", seconds: 2)
        XCTAssertEqual(p.videoCodec, "h264")
    }

    func testFixedPortNamesTheStreamAfterTheSsrc() throws {
        let fixed = freePort()
        let s = try server(fixedPort: fixed)
        defer { s.stop() }
        let sender = try send(port: fixed, ssrc: 0x0BADF00D, seconds: 8)
        defer { sender.terminate() }
        XCTAssertTrue(waitUntil(timeout: 10) { self.mediaItem("0BADF00D") != nil }, s.log)
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(s.rtmp)/rtp/0BADF00D", seconds: 2)
        XCTAssertEqual(p.videoCodec, "h264")
    }

    func testSsrcFilterDropsOthersAndTimeoutPostsTheHook() throws {
        let hooks = try HookReceiver()
        let s = try server(timeout: 3, extra: "[hook]\nenable = true\non_rtp_server_timeout = \"\(hooks.url("on_rtp_server_timeout"))\"")
        defer { s.stop() }
        let port = try open("FILTERED", ssrc: "1111")
        // Short: the server (3 s timeout, which dropped packets do not reset) must still be open when it ends,
        // and the sender's own start takes most of a second on a busy machine.
        let wrong = try send(port: port, ssrc: 2222, seconds: 1)
        wrong.waitUntilExit()
        XCTAssertNil(mediaItem("FILTERED"), "a foreign SSRC must not publish")
        XCTAssertGreaterThan(try post("getRtpInfo", ["stream_id": "FILTERED"])["dropped_ssrc"] as? Int ?? 0, 0)
        XCTAssertTrue(hooks.wait("on_rtp_server_timeout", timeout: 10), s.log)
        let body = try XCTUnwrap(hooks.bodies("on_rtp_server_timeout").first)
        XCTAssertEqual(body["local_port"] as? Int, port)
        XCTAssertEqual(body["stream_id"] as? String, "FILTERED")
        XCTAssertEqual(body["tcpMode"] as? Int, 0)
        XCTAssertEqual(body["ssrc"] as? Int, 1111)
        XCTAssertEqual(body["app"] as? String, "rtp")
        XCTAssertEqual(body["vhost"] as? String, "__defaultVhost__")
        XCTAssertNotNil(body["re_use_port"])
        XCTAssertNotNil(body["mediaServerId"])
        XCTAssertEqual(try post("getRtpInfo", ["stream_id": "FILTERED"])["exist"] as? Bool, false)
    }

    /// 5 % of the datagrams dropped and 5 % reordered by a seeded relay (Clients/udp_loss_relay.py): the
    /// reorder buffer puts the reordered ones back, the frames of lost ones are dropped, and the stream still
    /// plays, with the loss counted in getRtpInfo and the close line.
    func testUdpLossAndReorderingStillPlaysWithLossCounted() throws {
        let s = try server()
        defer { s.stop() }
        let port = try open("LOSSY")
        let relayPort = freePort()
        let relay = try Gb28181Harness.launch("/usr/bin/env", ["python3", Gb28181Harness.clients.appendingPathComponent("udp_loss_relay.py").path,
                                                               String(relayPort), String(port), "--drop", "0.05", "--reorder", "0.05", "--seed", "7"])
        defer { relay.terminate() }
        Thread.sleep(forTimeInterval: 0.3)
        let sender = try send(port: relayPort, seconds: 12)
        defer { sender.terminate() }
        let p = try s.probe("LOSSY", seconds: 4)
        XCTAssertEqual(p.videoCodec, "h264", "\(p)")
        // Every lost packet costs its frame (and the decoder may drop a few until the next keyframe).
        XCTAssertGreaterThan(p.videoFrames, 40, "4 s at 25 fps with 5 % of the packets lost: \(p)")
        let info = try post("getRtpInfo", ["stream_id": "LOSSY"])
        XCTAssertGreaterThan(info["lost"] as? Int ?? 0, 0, "\(info)")
        XCTAssertGreaterThan(info["reordered"] as? Int ?? 0, 0, "\(info)")
        let packets = info["packets"] as? Int ?? 0
        XCTAssertLessThan(Double(info["lost"] as? Int ?? 0), Double(packets) * 0.1, "about 5 % lost: \(info)")
        XCTAssertEqual(try post("closeRtpServer", ["stream_id": "LOSSY"])["hit"] as? Int, 1)
        XCTAssertTrue(s.waitForLog(" lost, "), s.log)
    }

    /// openRtpServerMultiplex: one port, two devices told apart by SSRC, each a stream named after it; the
    /// port is listed and closed by its stream_id, closing its streams with it.
    func testMultiplexPortSeparatesStreamsBySsrc() throws {
        let s = try server()
        defer { s.stop() }
        XCTAssertEqual(try post("openRtpServerMultiplex", ["stream_id": "MUX"])["code"] as? Int, -300, "port is required")
        let r = try post("openRtpServerMultiplex", ["stream_id": "MUX", "port": "0", "app": "rtp", "tcp_mode": "0"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        let port = try XCTUnwrap(r["port"] as? Int)
        let a = try send(port: port, ssrc: 0x0A0A0A0A, seconds: 10)
        defer { a.terminate() }
        let b = try send(port: port, ssrc: 0x0B0B0B0B, seconds: 10, extra: ["--no-audio"])
        defer { b.terminate() }
        let pa = try s.probe("0A0A0A0A", over: "rtsp", seconds: 2)
        let pb = try s.probe("0B0B0B0B", over: "rtsp", seconds: 2)
        XCTAssertEqual(pa.videoCodec, "h264")
        XCTAssertEqual(pa.audioCodec, "pcm_alaw", "the first device sends audio")
        XCTAssertEqual(pb.videoCodec, "h264")
        XCTAssertEqual(pb.audioCodec, "", "the second sends none: the streams are not mixed")
        XCTAssertGreaterThan(pa.videoFrames, 30, "\(pa)")
        XCTAssertGreaterThan(pb.videoFrames, 30, "\(pb)")
        let list = try post("listRtpServer", [:])["data"] as? [[String: Any]]
        XCTAssertEqual(list?.first?["stream_id"] as? String, "MUX")
        XCTAssertEqual(list?.first?["port"] as? Int, port)
        XCTAssertEqual(list?.first?["multiplex"] as? Bool, true)
        XCTAssertEqual(try post("closeRtpServer", ["stream_id": "MUX"])["hit"] as? Int, 1)
        XCTAssertTrue(waitUntil(timeout: 5) { s.mediaItem("0A0A0A0A") == nil && s.mediaItem("0B0B0B0B") == nil }, s.log)
    }

    /// local_ip binds the RTP port to that address; re_use_port sets SO_REUSEPORT, so two servers may share a
    /// port only when both ask for it.
    func testLocalIpAndReusePortAreApplied() throws {
        let s = try server()
        defer { s.stop() }
        let port = try s.open("LOCAL", extra: ["local_ip": "127.0.0.1"])
        XCTAssertEqual(try post("getRtpInfo", ["stream_id": "LOCAL"])["local_ip"] as? String, "127.0.0.1")
        XCTAssertNotEqual(try post("openRtpServer", ["stream_id": "FOREIGN", "port": "0", "local_ip": "192.0.2.1"])["code"] as? Int, 0,
                          "an address not of this machine cannot be bound")
        let sender = try send(port: port, seconds: 8)
        defer { sender.terminate() }
        XCTAssertEqual(try s.probe("LOCAL", seconds: 2).videoCodec, "h264")

        let shared = freePort()
        let tcp = ["port": String(shared), "tcp_mode": "1", "app": "rtp"]
        XCTAssertEqual(try post("openRtpServer", tcp.merging(["stream_id": "R1", "re_use_port": "1"]) { $1 })["code"] as? Int, 0)
        XCTAssertEqual(try post("openRtpServer", tcp.merging(["stream_id": "R2", "re_use_port": "1"]) { $1 })["code"] as? Int, 0)
        XCTAssertNotEqual(try post("openRtpServer", tcp.merging(["stream_id": "R3", "re_use_port": "0"]) { $1 })["code"] as? Int, 0)
        let alone = freePort()
        let tcp2 = ["port": String(alone), "tcp_mode": "1", "app": "rtp"]
        XCTAssertEqual(try post("openRtpServer", tcp2.merging(["stream_id": "R4", "re_use_port": "0"]) { $1 })["code"] as? Int, 0)
        XCTAssertNotEqual(try post("openRtpServer", tcp2.merging(["stream_id": "R5", "re_use_port": "1"]) { $1 })["code"] as? Int, 0)
    }

    /// re_use_port on UDP RTP servers (ABI 1.5's mr_udp_options.reuse_port, SO_REUSEPORT): two servers that
    /// both ask for it share a port; one that does not ask, or that meets a port taken without it, fails
    /// with a message that says why.
    func testUdpReusePortLetsServersShareAPortOnlyWhenEachAsks() throws {
        let s = try server()
        defer { s.stop() }
        let shared = freePort()
        let udp = ["port": String(shared), "tcp_mode": "0", "app": "rtp"]
        for id in ["U1", "U2"] {
            let r = try post("openRtpServer", udp.merging(["stream_id": id, "re_use_port": "1"]) { $1 })
            XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
            XCTAssertEqual(r["port"] as? Int, shared)
        }
        let refused = try post("openRtpServer", udp.merging(["stream_id": "U3"]) { $1 })
        XCTAssertNotEqual(refused["code"] as? Int, 0, "\(refused)")
        XCTAssertEqual(refused["msg"] as? String,
                       "cannot bind a port (port \(shared) in use; servers share a port only when each opens it with re_use_port=1)")
        let listed = try XCTUnwrap(post("listRtpServer", [:])["data"] as? [[String: Any]])
        XCTAssertEqual(Set(listed.filter { $0["port"] as? Int == shared }.compactMap { $0["stream_id"] as? String }), ["U1", "U2"])

        let alone = freePort()
        let first = try post("openRtpServer", ["port": String(alone), "tcp_mode": "0", "stream_id": "U4"])
        XCTAssertEqual(first["code"] as? Int, 0, "\(first)")
        let late = try post("openRtpServer", ["port": String(alone), "tcp_mode": "0", "stream_id": "U5", "re_use_port": "1"])
        XCTAssertEqual(late["msg"] as? String, "cannot bind a port (port \(alone) in use)", "the port's first socket did not share it")
        XCTAssertEqual(try post("closeRtpServer", ["stream_id": "U1"])["hit"] as? Int, 1)
        XCTAssertEqual(try post("openRtpServer", udp.merging(["stream_id": "U6", "re_use_port": "1"]) { $1 })["code"] as? Int, 0,
                       "a place freed in a shared port is taken again")
    }

    /// The devices feeding RTP servers and the platforms startSendRtp sends to, in getAllSession (typeid
    /// gb28181) with their RTP numbers, in getMediaList's originSock, and closed by kick_session.
    func testSessionsInGetAllSessionAndKick() throws {
        let s = try server()
        defer { s.stop() }
        let port = try open("SESS")
        let sender = try send(port: port, ssrc: 0x01020304, seconds: 15)
        defer { sender.terminate() }
        XCTAssertTrue(waitUntil(timeout: 10) { s.mediaItem("SESS") != nil }, s.log)
        let platform = freePort()
        let sink = try Gb28181Harness.launch("/usr/bin/env", ["python3", "-c", """
            import socket
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", \(platform)))
            while True: u.recv(65536)
            """])
        defer { sink.terminate() }
        let started = try post("startSendRtp", ["vhost": "__defaultVhost__", "app": "rtp", "stream": "SESS", "ssrc": "77",
                                                "dst_url": "127.0.0.1", "dst_port": String(platform), "is_udp": "1"])
        XCTAssertEqual(started["code"] as? Int, 0, "\(started)")
        func stat(_ item: [String: Any]?, _ name: String) -> Int { (item?["stats"] as? [String: Any])?[name] as? Int ?? -1 }
        var list: [[String: Any]] = []
        XCTAssertTrue(waitUntil(timeout: 10) {
            list = ((try? self.post("getAllSession", [:]))?["data"] as? [[String: Any]] ?? []).filter { $0["typeid"] as? String == "gb28181" }
            return list.count == 2 && list.allSatisfy { stat($0, "packets") > 0 }
        }, "\(list)\n\(s.log)")
        let publisher = try XCTUnwrap(list.first { $0["role"] as? String == "publisher" }, "\(list)")
        let player = try XCTUnwrap(list.first { $0["role"] as? String == "player" }, "\(list)")
        XCTAssertEqual(publisher["local_port"] as? Int, port)
        XCTAssertEqual(publisher["peer_ip"] as? String, "127.0.0.1")
        XCTAssertEqual(publisher["stream"] as? String, "SESS")
        XCTAssertEqual(stat(publisher, "ssrc"), 0x01020304)
        XCTAssertGreaterThan(stat(publisher, "bytes"), 0)
        XCTAssertEqual(stat(publisher, "lost"), 0)
        XCTAssertEqual(player["peer_port"] as? Int, platform)
        XCTAssertEqual(stat(player, "ssrc"), 77)
        XCTAssertEqual(try post("getAllSession", ["local_port": String(port)])["data"].map { ($0 as? [Any])?.count }, 1, "filtered by local_port")
        let origin = s.mediaItem("SESS")?["originSock"] as? [String: Any]
        XCTAssertEqual(origin?["peer_port"] as? Int, publisher["peer_port"] as? Int, "\(String(describing: s.mediaItem("SESS")))")

        // The platform first: kicking the device ends the stream, and with it the sending.
        XCTAssertEqual(try post("kick_session", ["id": player["id"] as? String ?? ""])["code"] as? Int, 0)
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.post("listRtpSender", ["app": "rtp", "stream": "SESS"]))?["data"] as? [String] == [] }, s.log)
        let kicked = try post("kick_session", ["id": publisher["id"] as? String ?? ""])
        XCTAssertEqual(kicked["code"] as? Int, 0, "\(kicked)")
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.post("getRtpInfo", ["stream_id": "SESS"]))?["exist"] as? Bool == false }, s.log)
        XCTAssertNotEqual(try post("kick_session", ["id": publisher["id"] as? String ?? ""])["code"] as? Int, 0, "gone")
    }

    func testBadRequestsAnswerZlmCodes() throws {
        let s = try server()
        defer { s.stop() }
        XCTAssertEqual(try post("openRtpServer", ["port": "0"])["code"] as? Int, -300)
        XCTAssertEqual(try post("openRtpServer", ["stream_id": "x", "tcp_mode": "7"])["code"] as? Int, -300)
        XCTAssertEqual(try post("openRtpServer", ["stream_id": "x", "ssrc": "notanumber"])["code"] as? Int, -300)
        _ = try open("DUP")
        XCTAssertEqual(try post("openRtpServer", ["stream_id": "DUP", "port": "0"])["code"] as? Int, -300)
        XCTAssertEqual(try post("updateRtpServerSSRC", ["stream_id": "DUP", "ssrc": "42"])["code"] as? Int, 0)
        XCTAssertEqual(try post("pauseRtpCheck", ["stream_id": "DUP"])["code"] as? Int, 0)
        XCTAssertEqual(try post("resumeRtpCheck", ["stream_id": "DUP"])["code"] as? Int, 0)
        XCTAssertEqual(try post("pauseRtpCheck", ["stream_id": "NONE"])["code"] as? Int, -500)
    }
}
