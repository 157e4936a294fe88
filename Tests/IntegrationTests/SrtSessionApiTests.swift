import Foundation
import XCTest

/// SRT connections in ZLMediaKit's session and stream endpoints (through the plugin's `sessions`
/// declaration): ffmpeg publishes, srt-live-transmit plays; getAllSession lists both with libsrt's numbers,
/// getMediaList shows the publisher's, /metrics the totals, kick_session closes the player. And ZLMediaKit's
/// `srt.latencyMul`: a caller from an address whose RTT is known is offered RTT × latency_mul. And the
/// cadence of stats_interval_ms in /metrics.
final class SrtSessionApiTests: XCTestCase {
    private func srtSessions(_ http: Int, _ params: [String: String] = [:]) throws -> [[String: Any]] { try SrtTools.sessions(http, params) }

    private func session(_ list: [[String: Any]], _ role: String) -> [String: Any]? { list.first { $0["role"] as? String == role } }
    private func stat(_ s: [String: Any]?, _ name: String) -> Double { ((s?["stats"] as? [String: Any])?[name] as? NSNumber)?.doubleValue ?? -1 }

    private func player(_ srt: Int, _ stream: String, out: String) throws -> Process {
        try SrtTools.process("/usr/bin/srt-live-transmit", ["-a:no", "-q", "srt://127.0.0.1:\(srt)?streamid=#!::r=live/\(stream),m=request",
                                                           "file://con"], stdout: out)
    }

    func testSrtSessionsInGetAllSessionGetMediaListMetricsAndKick() throws {
        let srt = freePort(), http = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http,
                                          extra: "[srt]\nport = \(srt)\nlatency = 150\nstats_interval_ms = 500")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started"), s.log)
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        // ffmpeg asks 200 ms, more than our 150: the larger applies.
        let publisher = try SrtTools.publish(port: srt, streamId: "#!::r=live/st,m=publish", seconds: 40)
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)
        let out = SrtTools.temp("play.ts")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let play = try player(srt, "st", out: out)
        defer { SrtTools.stop(play) }
        XCTAssertTrue(s.waitForLog("player live/st to 127.0.0.1"), s.log)
        XCTAssertTrue(s.waitForLog(": playing"), s.log)

        var first: [[String: Any]] = []
        XCTAssertTrue(waitUntil(timeout: 10) {
            first = (try? srtSessions(http)) ?? []
            return stat(session(first, "player"), "bytes_sent") > 0 && stat(session(first, "publisher"), "bytes_received") > 0
        }, "\(first)\n\(s.log)")
        let pub = try XCTUnwrap(session(first, "publisher"), "\(first)")
        let ply = try XCTUnwrap(session(first, "player"), "\(first)")
        XCTAssertEqual(first.count, 2, "\(first)")
        for item in [pub, ply] {
            XCTAssertTrue((item["id"] as? String ?? "").hasPrefix("srt-"), "\(item)")
            XCTAssertEqual(item["peer_ip"] as? String, "127.0.0.1")
            XCTAssertEqual((item["local_port"] as? NSNumber)?.intValue, srt)
            XCTAssertEqual(item["app"] as? String, "live")
            XCTAssertEqual(item["stream"] as? String, "st")
            XCTAssertGreaterThanOrEqual(stat(item, "rtt_ms"), 0)
            XCTAssertEqual((item["stats"] as? [String: Any])?["connected"] as? Bool, true, "\(item)")
        }
        XCTAssertEqual(stat(pub, "latency_ms"), 200, "the publisher's latency is larger than ours")
        XCTAssertEqual(stat(ply, "latency_ms"), 150, "srt-live-transmit asks libsrt's 120: ours applies")
        XCTAssertEqual(pub["protocol"] as? String, "srt")

        Thread.sleep(forTimeInterval: 1.5)
        let second = try srtSessions(http)
        print("sessions 1.5 s apart:\n\(first)\n\(second)")
        let pub2 = session(second, "publisher"), ply2 = session(second, "player")
        XCTAssertGreaterThan(stat(pub2, "bytes_received"), stat(pub, "bytes_received"))
        XCTAssertGreaterThan(stat(pub2, "packets_received"), stat(pub, "packets_received"))
        XCTAssertGreaterThan(stat(ply2, "bytes_sent"), stat(ply, "bytes_sent"))
        XCTAssertGreaterThan(stat(ply2, "packets_sent"), stat(ply, "packets_sent"))
        XCTAssertGreaterThan(stat(pub2, "recv_rate_mbps"), 0)
        let (_, raw) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(http)/index/api/getAllSession"], timeout: 10)
        XCTAssertTrue(raw.contains(#""connected":true"#), "booleans stay booleans on the way through the core: \(raw)")
        // The filters apply to plugin sessions too.
        XCTAssertEqual(try srtSessions(http, ["local_port": String(srt)]).count, 2)
        XCTAssertEqual(try srtSessions(http, ["peer_ip": "10.9.9.9"]).count, 0)

        // getMediaList: the stream's origin is the publisher's session, with its numbers.
        let media = try SrtTools.api(http, "getMediaList", ["app": "live", "stream": "st"])
        let items = media["data"] as? [[String: Any]] ?? []
        XCTAssertFalse(items.isEmpty, "\(media)")
        for item in items {
            XCTAssertEqual((item["originSock"] as? [String: Any])?["identifier"] as? String, pub["id"] as? String, "\(item)")
            XCTAssertGreaterThan(((item["originStats"] as? [String: Any])?["bytes_received"] as? NSNumber)?.intValue ?? 0, 0, "\(item)")
            XCTAssertEqual((item["originTypeStr"] as? String), "srt_push")
        }
        let info = try SrtTools.api(http, "getMediaInfo", ["app": "live", "stream": "st"])
        XCTAssertNotNil(info["originStats"], "\(info)")

        // /metrics: the plugin's totals over its sessions.
        XCTAssertTrue(waitUntil(timeout: 5) { (SrtTools.metric(http: http, "packets_in") ?? 0) > 0 }, s.log)
        XCTAssertGreaterThan(SrtTools.metric(http: http, "packets_out") ?? 0, 0)
        XCTAssertEqual(SrtTools.metric(http: http, "sessions"), 2)
        XCTAssertEqual(SrtTools.metric(http: http, "latency_ms_max"), 200)
        XCTAssertGreaterThan(SrtTools.metric(http: http, "recv_rate_kbps") ?? 0, 0)

        // kick_session closes the player; an unknown id is refused.
        let kicked = try SrtTools.api(http, "kick_session", ["id": ply["id"] as? String ?? ""])
        XCTAssertEqual((kicked["code"] as? NSNumber)?.intValue, 0, "\(kicked)")
        XCTAssertTrue(s.waitForLog("ended: kicked through the API"), s.log)
        XCTAssertTrue(waitUntil(timeout: 5) { ((try? srtSessions(http)) ?? []).map { $0["role"] as? String } == ["publisher"] }, s.log)
        XCTAssertTrue(waitUntil(timeout: 10) { !play.isRunning }, "srt-live-transmit saw the connection close")
        for bad in ["srt-1", "nosuchplugin-1", "srt-", "99999999"] {
            XCTAssertNotEqual((try SrtTools.api(http, "kick_session", ["id": bad])["code"] as? NSNumber)?.intValue, 0, bad)
        }
        // kick_sessions reaches them too: the publisher is the one SRT session left on the SRT port.
        let swept = try SrtTools.api(http, "kick_sessions", ["local_port": String(srt)])
        XCTAssertEqual((swept["count_hit"] as? NSNumber)?.intValue, 1, "\(swept)")
        XCTAssertTrue(s.waitForLog("ended: kicked through the API", count: 2), s.log)
        XCTAssertTrue(waitUntil(timeout: 5) { ((try? srtSessions(http)) ?? []).isEmpty }, s.log)
    }

    func testLatencyMulOffersRttTimesMultiplierToAKnownAddress() throws {
        let srt = freePort(), http = freePort(), relayPort = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http,
                                          extra: "[srt]\nport = \(srt)\nlatency = 120\nlatency_mul = 4\nstats_interval_ms = 300")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started"), s.log)
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        // The publisher reaches us through a relay adding 40 ms each way: libsrt measures an RTT of some 80 ms
        // for 127.0.0.1. Its own latency is 100 ms, under ours: the first connection gets 120.
        let relay = try SrtTools.process("/usr/bin/python3", ["-u", "\(SrtTools.clients)/udp_loss_relay.py", String(relayPort), String(srt),
                                                              "--drop", "0", "--reorder", "0", "--delay-ms", "40"])
        defer { SrtTools.stop(relay) }
        Thread.sleep(forTimeInterval: 0.5)
        let publisher = try MediaTools.publish(SrtTools.url(port: relayPort, streamId: "#!::r=live/lm,m=publish", latencyMs: 100),
                                               seconds: 40, format: "mpegts")
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog(": publishing", timeout: 15), s.log)
        var sessions: [[String: Any]] = []
        XCTAssertTrue(waitUntil(timeout: 10) {
            sessions = (try? srtSessions(http)) ?? []
            return stat(session(sessions, "publisher"), "rtt_ms") >= 60 && stat(session(sessions, "publisher"), "alive_ms") > 2000
        }, "\(sessions)")
        XCTAssertEqual(stat(session(sessions, "publisher"), "latency_ms"), 120, "\(sessions)")
        let rtt = stat(session(sessions, "publisher"), "rtt_ms")

        // A player from the same address is offered at least 4 × the RTT, though it asks 120 ms.
        let out = SrtTools.temp("lm.ts")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let first = try player(srt, "lm", out: out)
        defer { SrtTools.stop(first) }
        XCTAssertTrue(s.waitForLog("latency_mul 4)"), s.log)
        XCTAssertTrue(s.waitForLog(": playing"), s.log)
        let offered = stat(session(try srtSessions(http), "player"), "latency_ms")
        print("latency_mul 4: publisher RTT \(rtt) ms, player offered \(offered) ms")
        XCTAssertGreaterThanOrEqual(offered, (4 * 60).rounded(), "RTT \(rtt) ms\n\(s.log)")
        XCTAssertLessThanOrEqual(offered, (4 * rtt * 2).rounded(), "RTT \(rtt) ms")
        SrtTools.stop(first)

        // ZLMediaKit's name through setServerConfig; 0 turns the estimate off: the next player gets `latency`.
        let set = try SrtTools.api(http, "setServerConfig", ["srt.latencyMul": "0"])
        XCTAssertEqual((set["code"] as? NSNumber)?.intValue, 0, "\(set)")
        XCTAssertTrue(s.waitForLog("plugin srt: reconfigured"), s.log)
        XCTAssertEqual((try SrtTools.api(http, "getServerConfig")["data"] as? [[String: Any]])?.first?["srt.latencyMul"] as? String, "0")
        let second = try player(srt, "lm", out: out)
        defer { SrtTools.stop(second) }
        XCTAssertTrue(s.waitForLog(": playing", count: 2), s.log)
        XCTAssertTrue(waitUntil(timeout: 5) { stat(session((try? srtSessions(http)) ?? [], "player"), "latency_ms") == 120 }, s.log)
    }

    /// stats_interval_ms = 300: the plugin's counters in /metrics (added at each sample, unlike getAllSession's
    /// live numbers) move about every 300 ms under a steady publisher, not every 1000.
    func testStatsIntervalSetsTheCadenceOfTheMetrics() throws {
        let (s, _, http, publisher) = try SrtTools.publishing("stats_interval_ms = 300", stream: "si")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(waitUntil(timeout: 10) { (SrtTools.metric(http: http, "bytes_in") ?? 0) > 0 }, s.log)
        // Poll every 50 ms for 2.5 s; note when the total changes.
        var changes: [Date] = []
        var last = SrtTools.metric(http: http, "bytes_in")
        let end = Date().addingTimeInterval(2.5)
        while Date() < end {
            usleep(50_000)
            let now = SrtTools.metric(http: http, "bytes_in")
            if now != last { changes.append(Date()) }
            last = now
        }
        let gaps = zip(changes.dropFirst(), changes).map { $0.timeIntervalSince($1) }.sorted()
        print("stats_interval_ms 300: bytes_in changed \(changes.count) times in 2.5 s, gaps \(gaps)")
        XCTAssertGreaterThanOrEqual(changes.count, 5, "\(gaps)")
        XCTAssertLessThan(gaps.isEmpty ? 99 : gaps[gaps.count / 2], 0.6, "the median gap is about 300 ms: \(gaps)")
    }
}
