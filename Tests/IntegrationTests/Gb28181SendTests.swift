import Foundation
import XCTest

/// The GB28181 send path (startSendRtp & co.) against the real binary: ffmpeg publishes H.264 + AAC over
/// RTMP, the server sends it as PS over RTP to Clients/rtp_ps_receiver.py (a platform written from RFC 3550
/// and RFC 4571), which checks the RTP framing, and ffprobe reads the reassembled PS (`-f mpeg`).
final class Gb28181SendTests: XCTestCase {
    private var g: Gb28181Harness?

    private func post(_ name: String, _ fields: [String: String]) throws -> [String: Any] { try XCTUnwrap(g).post(name, fields) }

    /// A server with ffmpeg publishing live/cam over RTMP for `seconds`.
    private func serverPublishing(seconds: Int, timeout: Int = 15, extra: String = "", publishExtra: [String] = []) throws -> (Gb28181Harness, Process) {
        let s = try Gb28181Harness(timeout: timeout, extra: extra)
        g = s
        let ff = try MediaTools.publish("rtmp://127.0.0.1:\(s.rtmp)/live/cam", seconds: seconds, extra: publishExtra)
        // ffmpeg may take a while to start on a loaded machine.
        XCTAssertTrue(s.waitForLog("publish /live/cam", timeout: 20), s.log)
        return (s, ff)
    }

    /// Clients/rtp_ps_receiver.py on `port`, or when listening with port 0 on one the system chooses (a port
    /// picked beforehand may be taken by the time the receiver binds it, by the other shard's tests); the port.
    private func receiver(_ transport: String, port: Int = 0, out: String, seconds: Double, closeAfter: Double? = nil,
                          connect: Bool = false, extra: [String] = []) throws -> (Process, Pipe, port: Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/rtp_ps_receiver.py").path,
                       "--transport", transport, "--port", String(port), "--out", out, "--seconds", String(seconds)]
            + (closeAfter.map { ["--close-after", String($0)] } ?? []) + (connect ? ["--connect"] : []) + extra
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, pipe, listeningPort(pipe))
    }

    /// The port in a client's first line, "listening N".
    private func listeningPort(_ pipe: Pipe) -> Int {
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first += chunk
        }
        let line = String(decoding: first, as: UTF8.self)
        XCTAssertTrue(line.hasPrefix("listening ") && line.hasSuffix("\n"), line)
        return Int(line.dropFirst("listening ".count).dropLast()) ?? 0
    }

    private func summary(_ p: Process, _ pipe: Pipe) throws -> [String: Any] {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return try XCTUnwrap((try? JSONSerialization.jsonObject(with: data)) as? [String: Any], String(decoding: data, as: UTF8.self))
    }

    private func start(_ fields: [String: String]) throws -> [String: Any] {
        try post("startSendRtp", ["vhost": "__defaultVhost__", "app": "live", "stream": "cam", "pt": "96", "src_port": "0"]
                 .merging(fields) { $1 })
    }

    /// What every send must satisfy: one PT, one SSRC, no sequence gap, marker on the last packet of each frame.
    private func assertRtpFraming(_ r: [String: Any], ssrc: Int, pt: Int = 96, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(r["packets"] as? Int ?? 0, 100, "\(r)", file: file, line: line)
        XCTAssertEqual(r["pts"] as? [Int], [pt], file: file, line: line)
        XCTAssertEqual(r["ssrcs"] as? [Int], [ssrc], file: file, line: line)
        XCTAssertEqual(r["seq_gaps"] as? Int, 0, file: file, line: line)
        XCTAssertEqual(r["seq_reorders"] as? Int, 0, file: file, line: line)
        XCTAssertEqual(r["frames_without_marker"] as? Int, 0, "a new timestamp only after a marker", file: file, line: line)
        XCTAssertLessThanOrEqual(r["max_payload"] as? Int ?? .max, 1400, file: file, line: line)
        XCTAssertEqual(r["bad"] as? Int, 0, file: file, line: line)
    }

    func testUdpPsSendIsReadByFfprobeWithTheFramesPublished() throws {
        let (s, ff) = try serverPublishing(seconds: 6)
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-udp.ps"
        defer { if ProcessInfo.processInfo.environment["KEEP"] == nil { try? FileManager.default.removeItem(atPath: out) } }
        let (rx, pipe, port) = try receiver("udp", out: out, seconds: 15)
        let r = try start(["ssrc": "1234", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "1", "type": "1"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        XCTAssertGreaterThan(r["local_port"] as? Int ?? 0, 0, "\(r)")
        let list = try post("listRtpSender", ["vhost": "__defaultVhost__", "app": "live", "stream": "cam"])
        XCTAssertEqual(list["data"] as? [String], ["1234"], "\(list)")
        let sum = try summary(rx, pipe)
        assertRtpFraming(sum, ssrc: 1234)
        let probe = try MediaTools.probe(out, extra: ["-f", "mpeg"])
        XCTAssertEqual(probe.videoCodec, "h264")
        XCTAssertEqual(probe.audioCodec, "aac")
        // 6 s at 25 fps published; sending starts at the GOP cache's keyframe, at most a second before.
        XCTAssertGreaterThanOrEqual(probe.videoFrames, 100, "\(probe)")
        XCTAssertLessThanOrEqual(probe.videoFrames, 151, "\(probe)")
        XCTAssertGreaterThanOrEqual(sum["frames"] as? Int ?? 0, probe.videoFrames, "one marked RTP frame per video and audio frame")
    }

    func testStopSendRtpStopsTheFlow() throws {
        let (s, ff) = try serverPublishing(seconds: 10)
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-stop.ps"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (rx, pipe, port) = try receiver("udp", out: out, seconds: 12)
        XCTAssertEqual(try start(["ssrc": "777", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "1", "use_ps": "1"])["code"] as? Int, 0)
        Thread.sleep(forTimeInterval: 2)
        let stopped = try post("stopSendRtp", ["vhost": "__defaultVhost__", "app": "live", "stream": "cam", "ssrc": "777"])
        let stopAt = Date().timeIntervalSince1970
        XCTAssertEqual(stopped["code"] as? Int, 0, "\(stopped)")
        XCTAssertEqual(try post("listRtpSender", ["app": "live", "stream": "cam"])["data"] as? [String], [])
        XCTAssertNotEqual(try post("stopSendRtp", ["app": "live", "stream": "cam", "ssrc": "777"])["code"] as? Int, 0, "nothing left to stop")
        let sum = try summary(rx, pipe)
        XCTAssertGreaterThan(sum["packets"] as? Int ?? 0, 20, "\(sum)")
        XCTAssertLessThan(sum["last_packet_at"] as? Double ?? .infinity, stopAt + 0.5, "no packet long after stopSendRtp: \(sum)")
        XCTAssertTrue(s.waitForLog("stopped (stopSendRtp)"), s.log)
    }

    func testTcpActiveSendWithRfc4571AndTheHookWhenThePlatformHangsUp() throws {
        let hooks = try HookReceiver()
        let (s, ff) = try serverPublishing(seconds: 10, extra: "[hook]\nenable = true\non_send_rtp_stopped = \"\(hooks.url("on_send_rtp_stopped"))\"")
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-tcp.ps"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (rx, pipe, port) = try receiver("tcp", out: out, seconds: 15, closeAfter: 3)
        // The first port of the range, the one the sender takes first, held by a listener of another process
        // (seen in the suite: the other shard's): it dials from the next one. A port some other socket holds
        // already is as taken, but then the check below cannot tell which one the sender tried first.
        let taken = try XCTUnwrap(s.portRange.first)
        let holder = listenLoopback(port: taken)
        defer { if let holder { close(holder) } }
        let r = try start(["ssrc": "305419896", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "0", "type": "1"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        let local = r["local_port"] as? Int ?? 0
        XCTAssertTrue(s.portRange.contains(local) && (holder == nil || local != taken), "\(r)")
        let sum = try summary(rx, pipe)
        XCTAssertEqual(sum["closed_by"] as? String, "us", "\(sum)")
        XCTAssertEqual(sum["peer_port"] as? Int, local, "dialled from the local port it answered")
        assertRtpFraming(sum, ssrc: 305_419_896)
        let probe = try MediaTools.probe(out, extra: ["-f", "mpeg"])
        XCTAssertEqual(probe.videoCodec, "h264")
        XCTAssertGreaterThanOrEqual(probe.videoFrames, 50, "3 s of 25 fps: \(probe)")
        XCTAssertTrue(hooks.wait("on_send_rtp_stopped", timeout: 10), s.log)
        let body = try XCTUnwrap(hooks.bodies("on_send_rtp_stopped").first)
        XCTAssertEqual(body["ssrc"] as? String, "305419896")
        XCTAssertEqual(body["app"] as? String, "live")
        XCTAssertEqual(body["stream"] as? String, "cam")
        XCTAssertEqual(body["vhost"] as? String, "__defaultVhost__")
        XCTAssertEqual(try post("listRtpSender", ["app": "live", "stream": "cam"])["data"] as? [String], [], "the sender is gone")
    }

    func testUdpTsSendIsReadByFfprobe() throws {
        let (s, ff) = try serverPublishing(seconds: 4)
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-udp.ts"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (rx, pipe, port) = try receiver("udp", out: out, seconds: 12)
        let r = try start(["ssrc": "4321", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "1", "type": "2"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        let sum = try summary(rx, pipe)
        assertRtpFraming(sum, ssrc: 4321)
        XCTAssertEqual((sum["payload_bytes"] as? Int ?? 1) % 188, 0, "whole TS packets only")
        let probe = try MediaTools.probe(out, extra: ["-f", "mpegts"])
        XCTAssertEqual(probe.videoCodec, "h264")
        XCTAssertEqual(probe.audioCodec, "aac")
        XCTAssertGreaterThanOrEqual(probe.videoFrames, 60, "\(probe)")
    }

    func testPassiveSendWaitsForThePlatformToConnect() throws {
        let (s, ff) = try serverPublishing(seconds: 6)
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-passive.ps"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try post("startSendRtpPassive", ["vhost": "__defaultVhost__", "app": "live", "stream": "cam", "ssrc": "99", "pt": "96",
                                                 "src_port": "0", "type": "1"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        let port = try XCTUnwrap(r["local_port"] as? Int, "\(r)")
        let (rx, pipe, _) = try receiver("tcp", port: port, out: out, seconds: 12, closeAfter: 2.5, connect: true)
        let sum = try summary(rx, pipe)
        assertRtpFraming(sum, ssrc: 99)
        let probe = try MediaTools.probe(out, extra: ["-f", "mpeg"])
        XCTAssertEqual(probe.videoCodec, "h264")
        XCTAssertGreaterThanOrEqual(probe.videoFrames, 40, "2.5 s of 25 fps: \(probe)")
        // The receiver's close arrives as an orderly close, or, with data still unread on its side, as a reset;
        // or the server's next direct write meets the closed socket first (EPIPE).
        XCTAssertTrue(waitUntil(timeout: 10) {
            ["(closed by peer)", "(read(descriptor", "(sendmsg: Broken pipe", "(sendmsg: Connection reset"]
                .contains { s.log.contains("ssrc 99 passive stopped \($0)") }
        }, s.log)
    }

    /// close_delay_ms (ZLMediaKit: how long a passive sender waits for the platform's connection, 5 s when 0):
    /// a sender nobody connects to stops after it with on_send_rtp_stopped and its port closes; one whose
    /// platform connects in time sends on past it, until the platform hangs up.
    func testPassiveSendGivesUpAfterCloseDelayWithoutAConnection() throws {
        let hooks = try HookReceiver()
        let (s, ff) = try serverPublishing(seconds: 8, extra: "[hook]\nenable = true\non_send_rtp_stopped = \"\(hooks.url("on_send_rtp_stopped"))\"")
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-delay.ps"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let fields = ["vhost": "__defaultVhost__", "app": "live", "stream": "cam", "pt": "96", "src_port": "0", "type": "1", "close_delay_ms": "1000"]
        let began = Date().timeIntervalSince1970
        let lonely = try post("startSendRtpPassive", fields.merging(["ssrc": "71"]) { $1 })
        let served = try post("startSendRtpPassive", fields.merging(["ssrc": "72"]) { $1 })
        let lonelyPort = try XCTUnwrap(lonely["local_port"] as? Int, "\(lonely)")
        let servedPort = try XCTUnwrap(served["local_port"] as? Int, "\(served)")
        let (rx, pipe, _) = try receiver("tcp", port: servedPort, out: out, seconds: 8, closeAfter: 2.5, connect: true)
        XCTAssertTrue(hooks.wait("on_send_rtp_stopped", timeout: 4), s.log)
        XCTAssertEqual(hooks.bodies("on_send_rtp_stopped").map { $0["ssrc"] as? String }, ["71"], "the connected one goes on")
        XCTAssertLessThan(Date().timeIntervalSince1970 - began, 2.4, "stopped about 1 s after the start")
        XCTAssertEqual(try post("listRtpSender", ["app": "live", "stream": "cam"])["data"] as? [String], ["72"])
        XCTAssertTrue(waitUntil(timeout: 3) {
            guard let fd = connectLoopback(port: lonelyPort, timeout: 1) else { return true }
            close(fd)
            return false
        }, "the port of the sender given up is closed")
        let sum = try summary(rx, pipe)
        assertRtpFraming(sum, ssrc: 72)
        XCTAssertGreaterThan(sum["last_packet_at"] as? Double ?? 0, began + 2, "sent well past close_delay_ms: \(sum)")
        XCTAssertTrue(hooks.wait("on_send_rtp_stopped", count: 2, timeout: 5), s.log)
        XCTAssertEqual(hooks.bodies("on_send_rtp_stopped").last?["ssrc"] as? String, "72")
        XCTAssertTrue(s.log.contains("ssrc 71 passive stopped (no TCP connection within 1000 ms)"), s.log)
    }

    /// RTCP sender reports (RFC 3550 6.4.1) reach the platform's RTP port + 1: the first with the first packets,
    /// then every 5 s, with the RTP stream's SSRC, a wall-clock NTP time, an RTP time beside the packets', and
    /// counts that match what arrived.
    func testUdpSendSendsRtcpSenderReportsToThePortAbove() throws {
        let (s, ff) = try serverPublishing(seconds: 10)
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-sr.ps"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (rx, pipe, port) = try receiver("udp", out: out, seconds: 7.5, extra: ["--sr"])
        XCTAssertEqual(try start(["ssrc": "77", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "1", "type": "1"])["code"] as? Int, 0)
        let sum = try summary(rx, pipe)
        assertRtpFraming(sum, ssrc: 77)
        let reports = try XCTUnwrap(sum["sender_reports"] as? [[String: Any]], "\(sum)")
        XCTAssertEqual(reports.count, 2, "at the start and 5 s later: \(reports)")
        for r in reports {
            XCTAssertEqual(r["ssrc"] as? Int, 77, "\(r)")
            XCTAssertEqual(r["length_words"] as? Int, 6, "no report blocks: \(r)")
            let at = r["at"] as? Double ?? 0
            XCTAssertEqual(r["ntp_unix"] as? Double ?? 0, at, accuracy: 1, "NTP time is the wall clock: \(r)")
            XCTAssertGreaterThan(r["packets"] as? Int ?? 0, 0, "\(r)")
            XCTAssertLessThanOrEqual(r["packets"] as? Int ?? .max, sum["packets"] as? Int ?? 0, "\(r)")
            XCTAssertLessThanOrEqual(r["octets"] as? Int ?? .max, sum["payload_bytes"] as? Int ?? 0, "payload octets only: \(r)")
            if let last = r["last_timestamp"] as? Int, let rtp = r["rtp_time"] as? Int {
                let ahead = Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: rtp) &- UInt32(truncatingIfNeeded: last))
                XCTAssertTrue((-45000...90000).contains(Int(ahead)), "RTP time within a second of the packets': \(r)")
            }
        }
        if reports.count == 2 {
            XCTAssertEqual((reports[1]["at"] as? Double ?? 0) - (reports[0]["at"] as? Double ?? 0), 5.5, accuracy: 1, "\(reports)")
            XCTAssertGreaterThan(reports[1]["packets"] as? Int ?? 0, reports[0]["packets"] as? Int ?? .max)
            XCTAssertGreaterThan(reports[1]["octets"] as? Int ?? 0, reports[0]["octets"] as? Int ?? .max)
        }
        XCTAssertLessThan(reports.first?["received_packets"] as? Int ?? .max, 500, "the first report came with the first packets: \(reports)")
    }

    /// type 0: the video track alone as RFC 6184 H.264 (PT 98 as wvp uses for ES), parameter sets in-band.
    func testUdpEsH264Send() throws {
        let (s, ff) = try serverPublishing(seconds: 4)
        defer { ff.terminate(); s.stop() }
        let out = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-es.h264"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (rx, pipe, port) = try receiver("udp", out: out, seconds: 12, extra: ["--depay", "h264"])
        let r = try start(["ssrc": "55", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "1", "type": "0", "pt": "98"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        let sum = try summary(rx, pipe)
        assertRtpFraming(sum, ssrc: 55, pt: 98)
        let probe = try MediaTools.probe(out, extra: ["-f", "h264"])
        XCTAssertEqual(probe.videoCodec, "h264")
        XCTAssertEqual(probe.width, 320)
        XCTAssertGreaterThanOrEqual(probe.videoFrames, 60, "\(probe)")
        XCTAssertEqual(sum["frames"] as? Int, probe.videoFrames, "one marker per access unit: \(sum)")
    }

    /// udp_rtcp_timeout=1: a peer that sends no RTCP for rtp_proxy.timeoutSec loses its stream (with the hook);
    /// one that sends receiver reports keeps it.
    func testUdpRtcpTimeoutStopsASenderWhosePeerSendsNoRtcp() throws {
        let hooks = try HookReceiver()
        let (s, ff) = try serverPublishing(seconds: 10, timeout: 2, extra: "[hook]\nenable = true\non_send_rtp_stopped = \"\(hooks.url("on_send_rtp_stopped"))\"")
        defer { ff.terminate(); s.stop() }
        let dir = NSTemporaryDirectory() + "mr-gbsend-\(getpid())-rtcp"
        defer { try? FileManager.default.removeItem(atPath: dir + "-silent.ps"); try? FileManager.default.removeItem(atPath: dir + "-rr.ps") }
        let (silent, silentPipe, silentPort) = try receiver("udp", out: dir + "-silent.ps", seconds: 7)
        let (rr, rrPipe, rrPort) = try receiver("udp", out: dir + "-rr.ps", seconds: 7, extra: ["--rtcp"])
        for (ssrc, port) in [("1", silentPort), ("2", rrPort)] {
            let r = try start(["ssrc": ssrc, "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "1", "type": "1", "udp_rtcp_timeout": "1"])
            XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        }
        XCTAssertTrue(hooks.wait("on_send_rtp_stopped", timeout: 8), s.log)
        XCTAssertEqual(hooks.bodies("on_send_rtp_stopped").map { $0["ssrc"] as? String }, ["1"], "only the silent peer's sender stops")
        XCTAssertEqual(try post("listRtpSender", ["app": "live", "stream": "cam"])["data"] as? [String], ["2"])
        let quiet = try summary(silent, silentPipe), reporting = try summary(rr, rrPipe)
        XCTAssertGreaterThan(quiet["packets"] as? Int ?? 0, 0, "it did send at first")
        XCTAssertGreaterThan(reporting["last_packet_at"] as? Double ?? 0, quiet["last_packet_at"] as? Double ?? .infinity)
    }

    /// As ZLMediaKit: a stream that is not there fails startSendRtp (after the play wait), with no hook.
    func testStartSendRtpForAMissingStreamFails() throws {
        let hooks = try HookReceiver()
        let (s, ff) = try serverPublishing(seconds: 4, extra: "[hook]\nenable = true\non_send_rtp_stopped = \"\(hooks.url("on_send_rtp_stopped"))\"")
        defer { ff.terminate(); s.stop() }
        let r = try post("startSendRtp", ["app": "live", "stream": "absent", "ssrc": "5", "dst_url": "127.0.0.1",
                                          "dst_port": String(freePort()), "is_udp": "1"])
        XCTAssertNotEqual(r["code"] as? Int, 0, "\(r)")
        XCTAssertNil(r["local_port"])
        XCTAssertEqual(try post("listRtpSender", ["app": "live", "stream": "absent"])["data"] as? [String], [])
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(hooks.bodies("on_send_rtp_stopped").isEmpty, "nothing was sent, nothing stopped")
    }

    /// A platform that accepts the TCP connection and never reads: the send side must not queue without bound.
    /// Past 1 MiB queued the sender drops to the next keyframe, and after timeout_sec without the peer reading
    /// it closes with on_send_rtp_stopped.
    func testTcpPeerThatNeverReadsIsDroppedToKeyframesThenClosed() throws {
        let hooks = try HookReceiver()
        // Lossless 640x480 (several Mbit/s) fills the kernel's socket buffers within seconds.
        let (s, ff) = try serverPublishing(seconds: 30, timeout: 3, extra: "[hook]\nenable = true\non_send_rtp_stopped = \"\(hooks.url("on_send_rtp_stopped"))\"",
                                           publishExtra: ["-s", "640x480", "-qp", "0"])
        defer { ff.terminate(); s.stop() }
        let sinkOut = Pipe()
        let sink = try Gb28181Harness.launch("/usr/bin/env", ["python3", "-c", """
            import socket, sys, time
            l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            l.bind(("127.0.0.1", 0)); l.listen(1); print("listening %d" % l.getsockname()[1]); sys.stdout.flush()
            c, _ = l.accept(); time.sleep(120)
            """], output: sinkOut.fileHandleForWriting)
        defer { sink.terminate() }
        // Only the child writes: a sink that dies must end the read of its first line.
        try sinkOut.fileHandleForWriting.close()
        let port = listeningPort(sinkOut)
        let r = try start(["ssrc": "4242", "dst_url": "127.0.0.1", "dst_port": String(port), "is_udp": "0", "type": "1"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)")
        XCTAssertTrue(s.waitForLog("the TCP peer does not keep up", timeout: 25), s.log)
        let list = try post("listRtpSender", ["app": "live", "stream": "cam"])
        let sender = (list["senders"] as? [[String: Any]])?.first
        XCTAssertGreaterThan(sender?["dropped_frames"] as? Int ?? 0, 0, "\(list)")
        XCTAssertTrue(hooks.wait("on_send_rtp_stopped", timeout: 15), s.log)
        let body = try XCTUnwrap(hooks.bodies("on_send_rtp_stopped").first)
        XCTAssertEqual(body["ssrc"] as? String, "4242")
        XCTAssertTrue((body["msg"] as? String ?? "").contains("stopped reading"), "\(body)")
        XCTAssertEqual(try post("listRtpSender", ["app": "live", "stream": "cam"])["data"] as? [String], [])
    }

    /// startSendRtpTalk: a device (the suite's PS sender) feeds RTP server live/DEV; the published live/cam's
    /// audio goes back to it as PS over the very socket its RTP arrives on (UDP, and its TCP connection), with
    /// the SSRC and PT asked; ffprobe reads what the device got.
    private func assertTalk(transport: String, tcpMode: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (s, ff) = try serverPublishing(seconds: 12)
        defer { ff.terminate(); s.stop() }
        let port = try s.open("DEV", tcpMode: tcpMode, extra: ["app": "live"], file: file, line: line)
        let out = NSTemporaryDirectory() + "mr-gbtalk-\(getpid())-\(transport).ps"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let h264 = Gb28181Harness.make("talk.h264", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx264",
                                                     "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", "-f", "h264"])
        let said = NSTemporaryDirectory() + "mr-gbtalk-\(getpid())-\(transport).txt"
        FileManager.default.createFile(atPath: said, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: said) }
        let device = try Gb28181Harness.launch("/usr/bin/env", ["python3", Gb28181Harness.clients.appendingPathComponent("ps_rtp_sender.py").path,
                                                                h264, "127.0.0.1", String(port), "--transport", transport, "--seconds", "7",
                                                                "--talk-out", out], output: FileHandle(forWritingAtPath: said))
        defer { device.terminate() }
        XCTAssertTrue(waitUntil(timeout: 10) { (try? self.post("getRtpInfo", ["stream_id": "DEV", "app": "live"]))?["peer_port"] as? Int ?? 0 > 0 },
                      s.log, file: file, line: line)
        XCTAssertEqual(try post("startSendRtpTalk", ["vhost": "__defaultVhost__", "app": "live", "stream": "cam", "ssrc": "555"])["code"] as? Int, -300,
                       "recv_stream_id is required", file: file, line: line)
        let r = try post("startSendRtpTalk", ["vhost": "__defaultVhost__", "app": "live", "stream": "cam", "ssrc": "555", "recv_stream_id": "DEV",
                                              "only_audio": "1", "type": "1", "pt": "97"])
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)", file: file, line: line)
        XCTAssertEqual(r["local_port"] as? Int, port, "the device's own port", file: file, line: line)
        XCTAssertTrue(waitUntil(timeout: 20) { !device.isRunning }, file: file, line: line)
        let told = (try? String(contentsOfFile: said, encoding: .utf8)) ?? ""
        let talk = told.split(separator: "\n").first { $0.hasPrefix("talk ") }?.split(separator: " ").compactMap { Int($0) } ?? []
        XCTAssertEqual(talk.count, 3, told, file: file, line: line)
        XCTAssertGreaterThan(talk.first ?? 0, 20, "packets back: \(told)", file: file, line: line)
        XCTAssertEqual(talk.dropFirst().first, 555, file: file, line: line)
        XCTAssertEqual(talk.last, 97, file: file, line: line)
        let probe = try MediaTools.probe(out, extra: ["-f", "mpeg"])
        XCTAssertEqual(probe.audioCodec, "aac", "\(probe)", file: file, line: line)
        XCTAssertEqual(probe.videoCodec, "", "only_audio: \(probe)", file: file, line: line)
        XCTAssertGreaterThan(probe.audioFrames, 50, "\(probe)", file: file, line: line)
    }

    func testTalkOverTheDevicesUdpSocket() throws { try assertTalk(transport: "udp", tcpMode: 0) }
    func testTalkOverTheDevicesTcpConnection() throws { try assertTalk(transport: "tcp4571", tcpMode: 1) }
}
