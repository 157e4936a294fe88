import Foundation
import XCTest

/// Loss both ways, without netem: each run has a network namespace of its own where iptables drops 5 % of the
/// WebRTC port's datagrams at random. With NACK (the default) the players' lost packets are resent from the
/// send history (on the RTX stream aiortc offers, RFC 4588, or as they were with `rtx = false`) and the publisher
/// is asked for what it lost; the same runs with `[webrtc] nack = false` must miss the thresholds, or the tests
/// would not measure the recovery they claim to.
final class WebrtcLossTests: XCTestCase {
    static let whep = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/whep_client.py").path
    static let whip = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/whip_client.py").path
    /// Fixed ports are free in a namespace nobody else uses.
    static let (http, rtmp, rtsp, udp) = (18080, 11935, 18554, 18000)
    static let loss = 0.05
    /// The share of the stream's frames an aiortc player decoded, counted by media timestamp after its first
    /// 2 s (arrival timing, catch-up bursts and a late first frame do not move it). aiortc drops a frame it
    /// could not complete, so without NACK 5 % packet loss costs 10-16 % of this 640x480 stream's frames
    /// (measured); with NACK none are lost.
    static let delivered = 0.97

    private func server(_ ns: NetworkNamespace, nack: Bool, rtx: Bool = true, name: String) throws -> ServerProcess {
        // www_root: Chromium loads its WHEP page from the server's origin.
        try ServerProcess.started(rtmp: Self.rtmp, rtsp: Self.rtsp, http: Self.http,
                                  extra: "www_root = \"\(ChromiumTests.clients)\"\n"
                                      + "[webrtc]\nport = \(Self.udp)\nbind = \"127.0.0.1\"\nnack = \(nack)\nrtx = \(rtx)",
                                  launcher: ns.launcher, name: name)
    }

    private func metric(_ ns: NetworkNamespace, _ stat: String) -> Int {
        let (_, out) = (try? ns.run(["/usr/bin/curl", "-s", "http://127.0.0.1:\(Self.http)/metrics"])) ?? (0, "")
        let prefix = "mediarouter_plugin_stat{plugin=\"webrtc\",name=\"\(stat)\"} "
        return out.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }.map { Int($0) } ?? 0
    }

    /// ffmpeg publishes 640x480 25 fps at 1.5 Mbit/s (frames of several packets) over RTMP; `play` plays it over
    /// WHEP while 5 % of what the server sends is dropped. Returns what it returned and the server's counters.
    private func lossyPlay<T>(nack: Bool, rtx: Bool = true, name: String,
                              _ play: (NetworkNamespace, ServerProcess) throws -> T) throws -> (T, retransmitted: Int, rtx: Int, dropped: Int) {
        let ns = try NetworkNamespace()
        defer { ns.close() }
        let s = try server(ns, nack: nack, rtx: rtx, name: name)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try ns.start(["/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
                                      "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25", "-t", "40",
                                      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50", "-bf", "0",
                                      "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "1500k", "-pix_fmt", "yuv420p",
                                      "-f", "flv", "rtmp://127.0.0.1:\(Self.rtmp)/live/a"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)
        try ns.drop(udpPort: Self.udp, .fromPort, probability: Self.loss)
        let result = try play(ns, s)
        return (result, metric(ns, "retransmitted"), metric(ns, "rtx_sent"), ns.dropped())
    }

    /// An aiortc player under loss. Returns the share of the stream's frames it decoded.
    private func playerRun(nack: Bool, rtx: Bool = true, name: String) throws -> (delivered: Double, retransmitted: Int, rtx: Int, dropped: Int, out: String) {
        let (r, retransmitted, rtxSent, dropped) = try lossyPlay(nack: nack, rtx: rtx, name: name) { ns, s in
            let (status, out) = try ns.run(["/usr/bin/env", "python3", Self.whep, "http://127.0.0.1:\(Self.http)/live/a/whep",
                                            "--seconds", "10", "--settle", "2"], timeout: 40)
            XCTAssertEqual(status, 0, out)
            let line = out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
            let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
            XCTAssertEqual(r["status"] as? Int, 201, out + s.log)
            // aiortc offers RTX: the answer takes it exactly when the server answers NACKs on an RTX stream.
            XCTAssertEqual(r["answer_rtx"] as? Bool, nack && rtx, out)
            return ((r["delivered_ratio"] as? NSNumber)?.doubleValue ?? 0, line)
        }
        return (r.0, retransmitted, rtxSent, dropped, r.1)
    }

    /// Headless Chromium under loss: the page plays 8 s from the first decoded frame and reports getStats'
    /// change over them (frames decoded, freezes, PLIs) and the NACKs it sent.
    private func chromiumRun(nack: Bool, name: String) throws -> (decoded: Int, freezes: Int, nacks: Int, retransmitted: Int, rtx: Int, dropped: Int, raw: String) {
        let (r, retransmitted, rtxSent, dropped) = try lossyPlay(nack: nack, name: name) { ns, s in
            let r = try ChromiumTests.run(page: "http://127.0.0.1:\(Self.http)/whep_player.html?src=/live/a/whep&window=8&timeout=15",
                                          marker: "WHEP-RESULT ",
                                          flags: ["--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
                                          launcher: ns.launcher, pageTimeout: 30)
            XCTAssertEqual(r.int("http"), 201, r.raw + "\n" + s.log)
            XCTAssertEqual(r.string("status"), "ok", r.raw + "\n" + s.log)
            return r
        }
        let window = r.json["window"] as? [String: Any] ?? [:]
        func int(_ key: String) -> Int { (window[key] as? NSNumber)?.intValue ?? 0 }
        return (int("framesDecoded"), int("freezeCount"), r.int("nackCount") ?? 0, retransmitted, rtxSent, dropped, r.raw)
    }

    func testPlayersKeepTheFrameRateUnderFivePercentLossWithNackAndNotWithout() throws {
        guard NetworkNamespace.available else { throw XCTSkip("needs root, unshare, nsenter and iptables") }
        let on = try playerRun(nack: true, name: "player-nack-on")
        print("WebRTC player, 5 % loss, NACK on (RTX): \(on)")
        XCTAssertGreaterThan(on.dropped, 5, "the loss was not injected: \(on)")
        XCTAssertGreaterThan(on.retransmitted, 10, "\(on)")
        // The player offered only video: every retransmission went on the RTX stream, and aiortc took them
        // (else the frame rate below would be the NACK-off one).
        XCTAssertEqual(on.rtx, on.retransmitted, "\(on)")
        XCTAssertGreaterThanOrEqual(on.delivered, Self.delivered, "frames lost despite NACK: \(on)")
        let off = try playerRun(nack: false, name: "player-nack-off")
        print("WebRTC player, 5 % loss, NACK off: \(off)")
        XCTAssertGreaterThan(off.dropped, 5, "the loss was not injected: \(off)")
        XCTAssertEqual(off.retransmitted, 0, "\(off)")
        XCTAssertEqual(off.rtx, 0, "\(off)")
        XCTAssertLessThan(off.delivered, Self.delivered, "without NACK the same loss must cost frames, or the test measures nothing: \(off)")
    }

    /// `rtx = false`: the same player gets its losses back as plain retransmissions on the media SSRC.
    func testPlayersWithoutRtxGetPlainRetransmissionsUnderFivePercentLoss() throws {
        guard NetworkNamespace.available else { throw XCTSkip("needs root, unshare, nsenter and iptables") }
        let plain = try playerRun(nack: true, rtx: false, name: "player-plain")
        print("WebRTC player, 5 % loss, NACK on, RTX off: \(plain)")
        XCTAssertGreaterThan(plain.dropped, 5, "the loss was not injected: \(plain)")
        XCTAssertGreaterThan(plain.retransmitted, 10, "\(plain)")
        XCTAssertEqual(plain.rtx, 0, "\(plain)")
        XCTAssertGreaterThanOrEqual(plain.delivered, Self.delivered, "frames lost despite NACK: \(plain)")
    }

    /// Chromium takes the RTX stream it offered: with NACK its losses come back on it and it plays the 8 s window
    /// at the source's rate; without, the same loss breaks frames and it decodes clearly fewer (it waits for the
    /// next keyframe: the RTMP source cannot be asked for one).
    func testChromiumRecoversFivePercentLossFromRtxAndNotWithoutNack() throws {
        guard NetworkNamespace.available else { throw XCTSkip("needs root, unshare, nsenter and iptables") }
        guard ChromiumTests.chromiumInstalled() else { throw XCTSkip("needs chromium") }
        let on = try chromiumRun(nack: true, name: "chromium-nack-on")
        print("Chromium WHEP, 5 % loss, NACK on (RTX): \(on)")
        XCTAssertGreaterThan(on.dropped, 5, "the loss was not injected: \(on)")
        XCTAssertGreaterThan(on.nacks, 5, "\(on)")
        XCTAssertGreaterThan(on.rtx, 5, "\(on)")
        XCTAssertEqual(on.rtx, on.retransmitted, "Chromium offers RTX for H.264: every retransmission goes on it: \(on)")
        XCTAssertGreaterThanOrEqual(on.decoded, 180, "8 s at 25 fps is 200 frames: \(on)")
        let off = try chromiumRun(nack: false, name: "chromium-nack-off")
        print("Chromium WHEP, 5 % loss, NACK off: \(off)")
        XCTAssertGreaterThan(off.dropped, 5, "the loss was not injected: \(off)")
        XCTAssertEqual(off.retransmitted, 0, "\(off)")
        XCTAssertLessThan(off.decoded, 180, "without NACK the same loss must cost frames, or the test measures nothing: \(off)")
    }

    /// What the WHIP publisher itself saw of the server's NACKs (whip_client.py's count of the sequence numbers
    /// asked for and of those it resent on RTX), and the server's nack_sent in /metrics.
    struct PublisherSide { let nacked: Int, rtxResent: Int, nackSentMetric: Int }

    /// aiortc publishes a moving pattern over WHIP while 5 % of what reaches the server is dropped; the
    /// publish's end line says how many holes the depacketizer saw and what NACK recovered, the publisher and
    /// /metrics what was asked for.
    private func publisherRun(nack: Bool, name: String) throws -> (packets: Int, videoGaps: Int, nacked: Int, rtx: Int, frames: Int,
                                                                    client: PublisherSide, line: String) {
        let ns = try NetworkNamespace()
        defer { ns.close() }
        let s = try server(ns, nack: nack, name: name)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        try ns.drop(udpPort: Self.udp, .toPort, probability: Self.loss)
        let out = s.dir.appendingPathComponent("whip.json").path
        let publisher = try ns.start(["/usr/bin/env", "python3", Self.whip, "http://127.0.0.1:\(Self.http)/index/api/whip?app=live&stream=w",
                                      "--seconds", "12", "--testsrc"], stdout: out)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("webrtc publisher live/w from 127.0.0.1", timeout: 15), s.log)
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 15), s.log)
        // Something plays it meanwhile: with NACK the frames are whole enough to decode (without it a keyframe
        // of dozens of packets may take seconds to come through whole).
        let (_, probe) = try ns.run(["/usr/bin/ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                                     "-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0",
                                     "-read_intervals", "%+4", "rtsp://127.0.0.1:\(Self.rtsp)/live/w"], timeout: 30)
        let frames = Int(probe.split(separator: ",").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        if nack { XCTAssertTrue(probe.hasPrefix("h264"), probe + s.log) }
        XCTAssertTrue(s.waitForLog("RTX packets", timeout: 25), s.log)
        let line = s.log.split(separator: "\n").first { $0.contains("RTX packets") }.map(String.init) ?? ""
        XCTAssertTrue(waitUntil(timeout: 10) { !publisher.isRunning }, "the publisher printed its counts")
        let json = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").last { $0.hasPrefix("{") }
        let r = json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        let client = PublisherSide(nacked: (r["nacked"] as? NSNumber)?.intValue ?? -1, rtxResent: (r["rtx_resent"] as? NSNumber)?.intValue ?? -1,
                                   nackSentMetric: metric(ns, "nack_sent"))
        // "...: N RTP packets in, G gaps (V in video); NACKed R (C recovered, A given up), X RTX packets"
        let numbers = line.split(separator: ":").last.map { $0.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } } ?? []
        guard numbers.count >= 7 else {
            XCTFail("no end line: \(s.log)")
            return (0, 0, 0, 0, frames, client, line)
        }
        return (numbers[0], numbers[2], numbers[3], numbers[6], frames, client, line)
    }

    func testPublishersAreAskedForLostPacketsUnderFivePercentLossAndHolesRemainWithout() throws {
        guard NetworkNamespace.available else { throw XCTSkip("needs root, unshare, nsenter and iptables") }
        let on = try publisherRun(nack: true, name: "publisher-nack-on")
        print("WebRTC publisher, 5 % loss, NACK on: \(on)")
        XCTAssertGreaterThan(on.packets, 300, "\(on)")
        XCTAssertGreaterThan(on.nacked, 5, "\(on)")
        XCTAssertGreaterThan(on.rtx, 5, "the retransmissions come on the RTX stream aiortc offers: \(on)")
        XCTAssertLessThanOrEqual(Double(on.videoGaps), Double(on.packets) * 0.002, "holes left despite NACK: \(on)")
        XCTAssertGreaterThan(on.frames, 40, "\(on)")
        // Seen from the publisher: it was asked for lost packets and resent them on RTX; what the server counted
        // as RTX received cannot exceed that (5 % of the resends are dropped too).
        XCTAssertGreaterThan(on.client.nacked, 5, "\(on)")
        XCTAssertGreaterThan(on.client.rtxResent, 5, "\(on)")
        XCTAssertLessThanOrEqual(on.rtx, on.client.rtxResent, "\(on)")
        XCTAssertGreaterThan(on.client.nackSentMetric, 5, "\(on)")
        let off = try publisherRun(nack: false, name: "publisher-nack-off")
        print("WebRTC publisher, 5 % loss, NACK off: \(off)")
        XCTAssertEqual(off.nacked, 0, "\(off)")
        XCTAssertEqual(off.client.nacked, 0, "the publisher was asked for nothing: \(off)")
        XCTAssertEqual(off.client.nackSentMetric, 0, "\(off)")
        XCTAssertGreaterThan(Double(off.videoGaps), Double(off.packets) * 0.002,
                             "without NACK the same loss must leave holes, or the test measures nothing: \(off)")
    }
}
