import Foundation
import XCTest

/// A hook receiver (Clients/hook_receiver.py) the tests steer: what it got, and what it answers next.
final class HookReceiver {
    let port = freePort()
    let dir: URL
    private let process = Process()

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-hooks-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try rules([:])
        let script = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/hook_receiver.py").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(port), logPath, rulesPath]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The script says "listening" once bound.
        _ = out.fileHandleForReading.availableData
    }

    var logPath: String { dir.appendingPathComponent("hooks.jsonl").path }
    var rulesPath: String { dir.appendingPathComponent("rules.json").path }
    func url(_ hook: String) -> String { "http://127.0.0.1:\(port)/index/hook/\(hook)" }

    /// A `[hook]` table that sends `hooks` here.
    func table(_ hooks: [String], extra: String = "") -> String {
        "[hook]\nenable = true\n\(extra)\n" + hooks.map { "\($0) = \"\(url($0))\"" }.joined(separator: "\n")
    }

    func rules(_ r: [String: [String: Any]]) throws {
        try JSONSerialization.data(withJSONObject: r).write(to: URL(fileURLWithPath: rulesPath), options: .atomic)
    }

    /// Every request so far, in arrival order: (hook, body).
    var received: [(hook: String, body: [String: Any])] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let hook = o["hook"] as? String else { return nil }
            return (hook, o["body"] as? [String: Any] ?? [:])
        }
    }

    func bodies(_ hook: String) -> [[String: Any]] { received.filter { $0.hook == hook }.map(\.body) }

    func wait(_ hook: String, count: Int = 1, timeout: TimeInterval = 10, where match: ([String: Any]) -> Bool = { _ in true }) -> Bool {
        waitUntil(timeout: timeout) { self.bodies(hook).filter(match).count >= count }
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: dir)
    }
}

/// ZLMediaKit's web hooks against a real receiver, with ffmpeg publishing and ffprobe playing.
final class HookTests: XCTestCase {
    private func hookTable(_ r: HookReceiver, _ hooks: [String], extra: String = "") -> String { r.table(hooks, extra: extra) }

    private func api(_ http: Int, _ path: String) throws -> [String: Any] {
        let (status, out) = try runCommand("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(http)/index/api/\(path)"], timeout: 10)
        XCTAssertEqual(status, 0, out)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    /// ffmpeg publishes to `path` and must be refused by the server's onStatus error (NetStream.Publish.BadAuth,
    /// whose description ffmpeg prints as "Server error: ..."), not by a dropped connection.
    private func assertPublishRefused(_ rtmp: Int, _ path: String, _ why: String, says: String, line: UInt = #line) throws {
        let (status, out) = try MediaTools.refusedPublish("rtmp://127.0.0.1:\(rtmp)/\(path)", timeout: 8)
        XCTAssertNotEqual(status, 0, why, line: line)
        XCTAssertTrue(out.contains("Server error: \(says)"), "\(why): \(out)", line: line)
    }

    private func exits(_ p: Process, within seconds: TimeInterval) -> Bool {
        let done = waitUntil(timeout: seconds) { !p.isRunning }
        if !done { p.terminate() }
        return done
    }

    private func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue }

    /// on_publish says no (code -1): ffmpeg's publish fails at once; then it says yes and the stream plays.
    /// Every body names the server and carries a per-process increasing hook_index; on_server_started and
    /// on_stream_changed (per schema, registered then gone) arrive.
    func testPublishHookDeniesThenAllowsAndBodiesCarryServerIdAndIndex() throws {
        let r = try HookReceiver()
        try r.rules(["on_publish": ["code": -1, "msg": "not this one"]])
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [api]
            media_server_id = "hook-test-1"
            \(hookTable(r, ["on_publish", "on_server_started", "on_stream_changed", "on_flow_report"], extra: "flow_threshold = 1"))
            """)
        defer { server.stop() }
        XCTAssertTrue(r.wait("on_server_started"), server.log)

        try assertPublishRefused(rtmp, "live/h?token=abc", "code -1 refuses the publish", says: "on_publish hook: code -1, msg \"not this one\"")
        XCTAssertTrue(server.waitForLog("code -1"), server.log)
        let ask = try XCTUnwrap(r.bodies("on_publish").first)
        XCTAssertEqual(ask["app"] as? String, "live")
        XCTAssertEqual(ask["stream"] as? String, "h")
        XCTAssertEqual(ask["vhost"] as? String, "__defaultVhost__")
        XCTAssertEqual(ask["schema"] as? String, "rtmp")
        XCTAssertEqual(ask["params"] as? String, "token=abc")
        XCTAssertEqual(ask["ip"] as? String, "127.0.0.1")
        XCTAssertNotNil(int(ask["port"]))
        XCTAssertEqual(int(ask["originType"]), 1)

        // The answer's per-stream options: RTSP players refused, a reconnect window of its own, and one
        // option this server has no use for (said in the log).
        try r.rules(["on_publish": ["code": 0, "enable_rtsp": false, "continue_push_ms": 1500, "modify_stamp": 2]])
        let allowed = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/h", seconds: 4)
        defer { allowed.terminate() }
        XCTAssertTrue(server.waitForLog("/live/h from"), server.log)
        // A player read by hand from now to its close: continue_push_ms keeps it connected after the publisher left.
        let waiting = RawHttpPlayer(port: http, path: "/live/h.live.flv")
        waiting.start()
        defer { waiting.stop() }
        let played = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/h", seconds: 1, timeout: 15)
        XCTAssertGreaterThan(played.videoFrames, 15, "a second at 25 fps")
        XCTAssertTrue(server.waitForLog("modify_stamp accepted but not applied"), server.log)
        let describe = exchange(port: rtsp, "DESCRIBE rtsp://127.0.0.1:\(rtsp)/live/h RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        XCTAssertEqual(describe.status, 403, "enable_rtsp false refuses RTSP players: \(describe.text)")
        XCTAssertTrue(server.log.contains("refused: the stream's on_publish answer set enable_rtsp false"), server.log)
        let (_, list) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(http)/index/api/getMediaList?app=live&stream=h"], timeout: 10)
        XCTAssertTrue(list.contains("\"schema\":\"rtmp\""), list)
        XCTAssertFalse(list.contains("\"schema\":\"rtsp\""), "no rtsp source of a stream that turned it off: \(list)")
        XCTAssertTrue(server.waitForLog("waits 1500 ms for its publisher to return"), server.log)
        // The player that left is reported with what it got: a second of a ~300 kbit/s stream is tens of KiB.
        XCTAssertTrue(r.wait("on_flow_report", where: { $0["stream"] as? String == "h" }), server.log)
        let flow = try XCTUnwrap(r.bodies("on_flow_report").first { $0["stream"] as? String == "h" })
        XCTAssertGreaterThan(int(flow["totalBytes"]) ?? 0, 10_000, "\(flow)")
        XCTAssertNotNil(int(flow["duration"]), "\(flow)")
        XCTAssertEqual(flow["player"] as? Bool, true)
        XCTAssertEqual(flow["ip"] as? String, "127.0.0.1")

        XCTAssertTrue(r.wait("on_stream_changed", count: 3, where: { $0["regist"] as? Bool == true }), server.log)
        XCTAssertTrue(exits(allowed, within: 10))
        // The player got the stream until the publisher left and was closed only when the window ran out; without
        // the answer's window (reconnect_window_ms is 0 here) the close follows the last data at once.
        let closedAt = try XCTUnwrap(waiting.waitForClose(timeout: 5), "the player is still connected 5 s after the window")
        let lastData = try XCTUnwrap(waiting.lastDataAt, "the player got nothing")
        XCTAssertGreaterThan(waiting.bytesRead, 30_000, "about 3 s of a ~300 kbit/s stream")
        let kept = closedAt.timeIntervalSince(lastData)
        XCTAssertTrue(kept > 1.2 && kept < 3.5, "the player was closed \(kept) s after its last data, continue_push_ms 1500")
        XCTAssertTrue(server.waitForLog("publisher did not return within 1500 ms"), server.log)
        XCTAssertTrue(r.wait("on_stream_changed", count: 3, where: { $0["regist"] as? Bool == false }), server.log)
        let registered = r.bodies("on_stream_changed").filter { $0["regist"] as? Bool == true }
        XCTAssertEqual(Set(registered.compactMap { $0["schema"] as? String }), ["rtmp", "ts", "fmp4"],
                       "one per schema of a running plugin (no hls plugin here), but rtsp, which the answer turned off")
        let unregistered = r.bodies("on_stream_changed").filter { $0["regist"] as? Bool == false }
        XCTAssertEqual(Set(unregistered.compactMap { $0["schema"] as? String }), ["rtmp", "ts", "fmp4"])
        XCTAssertNotNil(registered.first?["tracks"], "getMediaList's item")
        XCTAssertNotNil(registered.first?["originTypeStr"])

        let all = r.received
        XCTAssertTrue(all.allSatisfy { $0.body["mediaServerId"] as? String == "hook-test-1" }, "\(all)")
        let indexes = all.compactMap { int($0.body["hook_index"]) }
        XCTAssertEqual(indexes.count, all.count)
        XCTAssertEqual(Set(indexes).count, indexes.count, "each hook its own index: \(indexes)")
        let first = { (hook: String) in all.first { $0.hook == hook }.flatMap { self.int($0.body["hook_index"]) } ?? -1 }
        XCTAssertLessThan(first("on_server_started"), first("on_publish"))
        XCTAssertLessThan(first("on_publish"), first("on_stream_changed"))

        // Hook outcomes and latency reach /metrics.
        let (_, metrics) = try runCommand("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(http)/metrics"], timeout: 10)
        XCTAssertTrue(metrics.contains(#"mediarouter_hook_requests_total{hook="on_publish",result="denied"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"mediarouter_hook_requests_total{hook="on_publish",result="allowed"}"#), metrics)
        XCTAssertTrue(metrics.contains("mediarouter_hook_duration_seconds_bucket"), metrics)
    }

    /// The operator's platform answers on_stream_not_found by calling the server's addStreamProxy: the pull
    /// starts and the player that was waiting gets the stream (ZLMediaKit's on-demand pull).
    func testStreamNotFoundAnsweredWithAddStreamProxyStartsAWaitingPlayer() throws {
        let r = try HookReceiver()
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 10000,
                                               extra: hookTable(r, ["on_stream_not_found"]))
        defer { server.stop() }
        let source = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/src", seconds: 30)
        defer { source.terminate() }
        XCTAssertTrue(server.waitForLog("publish /live/src", timeout: 10), server.log)
        let add = "http://127.0.0.1:\(http)/index/api/addStreamProxy?vhost=__defaultVhost__&app=proxy&stream=auto"
            + "&url=rtsp://127.0.0.1:\(rtsp)/live/src"
        try r.rules(["on_stream_not_found": ["code": 0, "msg": "success", "call": add]])
        let probe = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/proxy/auto", seconds: 2, timeout: 25)
        XCTAssertEqual(probe.videoCodec, "h264", server.log)
        XCTAssertGreaterThan(probe.videoFrames, 20)
        let call = try XCTUnwrap(r.bodies("call").first, "the receiver called the API back")
        XCTAssertTrue((call["answer"] as? String ?? "").contains("\"code\":0"), "\(call)")
    }

    /// A player asks for a stream nobody publishes: on_stream_not_found tells the operator, who starts it
    /// while the player waits.
    func testStreamNotFoundLetsTheOperatorStartTheStreamForAWaitingPlayer() throws {
        let r = try HookReceiver()
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 10000,
                                               extra: hookTable(r, ["on_stream_not_found"]))
        defer { server.stop() }
        XCTAssertTrue(server.waitForLog("plugin rtmp"), server.log)

        nonisolated(unsafe) var result: Result<MediaTools.Probe, Error>?
        let probed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            result = Result { try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/later", seconds: 1, timeout: 25) }
            probed.signal()
        }
        XCTAssertTrue(r.wait("on_stream_not_found", where: { $0["stream"] as? String == "later" }), server.log)
        let asked = try XCTUnwrap(r.bodies("on_stream_not_found").first)
        XCTAssertEqual(asked["app"] as? String, "live")
        XCTAssertEqual(asked["schema"] as? String, "rtmp")
        XCTAssertEqual(asked["ip"] as? String, "127.0.0.1")

        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/later", seconds: 5)
        defer { publisher.terminate() }
        XCTAssertEqual(probed.wait(timeout: .now() + 25), .success)
        let probe = try XCTUnwrap(result).get()
        XCTAssertGreaterThan(probe.videoFrames, 15, "the waiting player got the stream started in answer: a second at 25 fps")
    }

    /// An idle stream: on_stream_none_reader first says keep it, then (after a player came and left) close:true,
    /// and the stream is gone.
    /// RTMP and HTTP (the API) with on_stream_none_reader after `ms` without readers.
    private func noneReaderServer(_ r: HookReceiver, ms: Int) throws -> (ServerProcess, Int, Int) {
        let (rtmp, http) = (freePort(), freePort())
        let server = try ServerProcess(config: """
            [server]
            none_reader_ms = \(ms)
            [rtmp]
            port = \(rtmp)
            [httpmux]
            port = \(http)
            \(hookTable(r, ["on_stream_none_reader"]))
            """)
        try server.start()
        return (server, rtmp, http)
    }

    func testNoneReaderHookClosesAnIdleStream() throws {
        let r = try HookReceiver()
        try r.rules(["on_stream_none_reader": ["code": 0, "close": false]])
        let (server, rtmp, http) = try noneReaderServer(r, ms: 1000)
        defer { server.stop() }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/idle", seconds: 20)
        defer { publisher.terminate() }
        XCTAssertTrue(server.waitForLog("/live/idle from"), server.log)
        XCTAssertTrue(r.wait("on_stream_none_reader"), "idle since publish: \(server.log)")
        XCTAssertEqual(try api(http, "isMediaOnline?app=live&stream=idle")["online"] as? Bool, true, "close:false keeps it")

        try r.rules(["on_stream_none_reader": ["code": 0, "close": true]])
        let played = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/idle", seconds: 0.5, timeout: 15)
        XCTAssertGreaterThan(played.videoFrames, 8, "half a second at 25 fps")
        XCTAssertTrue(r.wait("on_stream_none_reader", count: 2), server.log)
        let body = try XCTUnwrap(r.bodies("on_stream_none_reader").last)
        XCTAssertEqual(body["stream"] as? String, "idle")
        XCTAssertEqual(body["schema"] as? String, "rtmp")
        XCTAssertTrue(server.waitForLog("on_stream_none_reader: closing"), server.log)
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.api(http, "isMediaOnline?app=live&stream=idle")["online"] as? Bool) == false },
                      server.log)
    }

    /// ZLMediaKit's on-demand pull: a pulled stream nobody watches is closed by on_stream_none_reader's
    /// close:true, and its pull proxy goes with it (it does not pull the stream again).
    func testNoneReaderHookEndsAnIdlePulledStreamAndItsProxy() throws {
        let r = try HookReceiver()
        try r.rules(["on_stream_none_reader": ["code": 0, "close": true]])
        let (server, rtmp, http) = try noneReaderServer(r, ms: 1500)
        defer { server.stop() }
        let source = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/origin", seconds: 30)
        defer { source.terminate() }
        XCTAssertTrue(server.waitForLog("/live/origin from"), server.log)
        // The origin itself is watched by the pull: only the pulled copy goes idle.
        let added = try api(http, "addStreamProxy?app=pulled&stream=copy&url=rtmp://127.0.0.1:\(rtmp)/live/origin")
        XCTAssertEqual(added["code"] as? Int, 0, "\(added)")
        let played = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/pulled/copy", seconds: 1, timeout: 15)
        XCTAssertGreaterThan(played.videoFrames, 15, "a second at 25 fps")
        XCTAssertTrue(r.wait("on_stream_none_reader", where: { $0["app"] as? String == "pulled" }), server.log)
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.api(http, "isMediaOnline?app=pulled&stream=copy")["online"] as? Bool) == false },
                      server.log)
        let proxies = try api(http, "listStreamProxy")
        XCTAssertEqual((proxies["data"] as? [Any])?.count, 0, "the proxy went with its stream: \(proxies)")
        sleep(2)
        XCTAssertEqual(try api(http, "isMediaOnline?app=pulled&stream=copy")["online"] as? Bool, false, "not pulled again")
    }

    /// A hook that hangs past timeoutSec, then one that answers garbage: each is retried once, then
    /// default_allow = false refuses the publish, logged once.
    func testHangingAndGarbageHooksFallBackToTheDefault() throws {
        let r = try HookReceiver()
        try r.rules(["on_publish": ["code": 0, "sleep": 3]])
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            \(hookTable(r, ["on_publish"], extra: "timeoutSec = 1\ndefault_allow = false\nretry = 1\nretry_delay = 0.2"))
            """)
        defer { server.stop() }
        XCTAssertTrue(server.waitForLog("plugin rtmp"), server.log)

        try assertPublishRefused(rtmp, "live/slow", "the default refuses the publish of a hanging hook", says: "on_publish hook failed: no answer in time")
        XCTAssertTrue(server.waitForLog("no answer in time (2 attempts); denied by default"), server.log)
        XCTAssertEqual(r.bodies("on_publish").count, 2, "retried once")

        try r.rules(["on_publish": ["garbage": true]])
        try assertPublishRefused(rtmp, "live/garbled", "the default refuses the publish of a garbled hook", says: "on_publish hook failed: the answer is not a JSON object")
        XCTAssertTrue(server.waitForLog("is not a JSON object (16 bytes) (2 attempts); denied by default"), server.log)
        XCTAssertEqual(r.bodies("on_publish").filter { $0["stream"] as? String == "garbled" }.count, 2)
        XCTAssertEqual(server.log.components(separatedBy: "denied by default").count - 1, 2, "logged once per hook")
    }

    /// A hook server that is down (connection refused) is not waited for: the default applies at once, after
    /// the retry, and a stream it allows plays.
    func testRefusingHookServerFallsBackToTheDefaultWithoutWaiting() throws {
        let down = freePort()
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [hook]
            enable = true
            timeoutSec = 5
            retry = 1
            retry_delay = 0.2
            on_publish = "http://127.0.0.1:\(down)/index/hook/on_publish"
            on_play = "http://127.0.0.1:\(down)/index/hook/on_play"
            """)
        defer { XCTAssertEqual(server.stop(), 0, server.log) }
        XCTAssertTrue(server.waitForLog("plugin rtmp"), server.log)
        let started = Date()
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/open", seconds: 20)
        defer { publisher.terminate() }
        XCTAssertTrue(server.waitForLog("publish /live/open"), server.log)
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "waited for a server that refuses (timeoutSec is 5): \(server.log)")
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/open", seconds: 1)
        XCTAssertGreaterThan(p.videoFrames, 10, "the default (allow) lets the player play")
        XCTAssertTrue(server.waitForLog("hook on_publish for"), server.log)
        XCTAssertTrue(server.log.contains("(2 attempts); allowed by default (hook.default_allow)"), "retried once, then the default: \(server.log)")
        XCTAssertFalse(server.log.contains("Fatal error"), server.log)
    }
}
