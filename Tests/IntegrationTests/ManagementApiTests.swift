import Foundation
import XCTest

/// The ZLMediaKit-compatible management API and /metrics against the real binary: its envelope and secret,
/// stream and session listings after a real RTMP publish, settings changed through the API and seen in
/// behaviour, plugin management, bad input, the OpenAPI document, and metrics read by prometheus_client.
final class ManagementApiTests: XCTestCase {
    private var http = 0

    private func call(_ name: String, _ query: String = "", secret: String? = "s3cret", body: String? = nil,
                      contentType: String = "application/json") throws -> [String: Any] {
        var q = query
        if let secret { q += (q.isEmpty ? "" : "&") + "secret=\(secret)" }
        var args = ["-s", "--max-time", "10", "http://127.0.0.1:\(http)/index/api/\(name)?\(q)"]
        if let body { args += ["-X", "POST", "-H", "Content-Type: \(contentType)", "--data-binary", body] }
        let (status, out) = try runCommand("/usr/bin/curl", args, timeout: 15)
        XCTAssertEqual(status, 0, out)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    private func code(_ r: [String: Any]) -> Int? { r["code"] as? Int }

    /// A server with the API secret "s3cret" demanded of loopback callers too, and the mp4 plugin running.
    private func startServer(name: String = #function) throws -> (ServerProcess, rtmp: Int) {
        let (rtmp, rtsp) = (freePort(), freePort())
        http = freePort()
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(NSTemporaryDirectory())mr-api-\(getpid())"
            [api]
            secret = "s3cret"
            loopback_exempt = false
            """, name: name)
        return (server, rtmp)
    }

    /// ffmpeg publishing live/cam over RTMP, long enough that the stream only ends when the test ends it.
    private func publishCam(_ server: ServerProcess, rtmp: Int) throws -> Process {
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 30)
        XCTAssertTrue(server.waitForLog("publish /live/cam", timeout: 10), server.log)
        return pub
    }

    /// The secret and bad input: clear ZLMediaKit codes in the envelope, and the API goes on after them.
    func testSecretAndBadInputAnswerInTheEnvelope() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        // The secret, ZLMediaKit's -100.
        XCTAssertEqual(code(try call("getMediaList", secret: nil)), -100)
        XCTAssertEqual(code(try call("getMediaList", secret: "wrong")), -100)

        // Bad input: clear errors in the envelope.
        XCTAssertEqual(code(try call("noSuchEndpoint")), -500)
        XCTAssertEqual(code(try call("isMediaOnline", "app=live")), -300, "missing stream")
        XCTAssertEqual(code(try call("kick_session", "id=abc")), -300, "id of the wrong type")
        XCTAssertEqual(code(try call("getAllSession", "local_port=x")), -300)
        XCTAssertEqual(code(try call("version", body: "{\"broken\": ")), -300, "malformed JSON")
        let hugeFile = NSTemporaryDirectory() + "mr-api-huge-\(getpid())"
        try Data(count: 3 << 20).write(to: URL(fileURLWithPath: hugeFile))
        defer { try? FileManager.default.removeItem(atPath: hugeFile) }
        let (_, huge) = try runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                         "--data-binary", "@\(hugeFile)", "http://127.0.0.1:\(http)/index/api/version"],
                                       timeout: 15)
        XCTAssertEqual(huge, "413", "a 3 MB body is refused")
        XCTAssertEqual(code(try call("version")), 0, "the API goes on after bad requests")
    }

    /// getMediaList, getMediaPlayerList and isMediaOnline after an RTMP publish, in ZLMediaKit's schema.
    func testStreamsAndPlayersAfterAnRtmpPublish() throws {
        let (server, rtmp) = try startServer()
        defer { server.stop() }
        let pub = try publishCam(server, rtmp: rtmp)
        defer { pub.terminate() }
        // getMediaList after an RTMP publish, in ZLMediaKit's schema.
        // The key is on the bus from the publish on; its protocol and tracks reach the list when the source's
        // loop has taken the publisher's tracks (a moment later, longer under load).
        XCTAssertTrue(waitUntil {
            let items = (try? self.call("getMediaList", "schema=rtmp"))?["data"] as? [[String: Any]]
            return items?.count == 1 && (items?.first?["tracks"] as? [Any])?.count == 2
        })
        let list = try call("getMediaList", "schema=rtmp&app=live&stream=cam")
        XCTAssertEqual(code(list), 0)
        let item = try XCTUnwrap((list["data"] as? [[String: Any]])?.first, "\(list)")
        XCTAssertEqual(item["app"] as? String, "live")
        XCTAssertEqual(item["stream"] as? String, "cam")
        XCTAssertEqual(item["vhost"] as? String, "__defaultVhost__")
        XCTAssertEqual(item["schema"] as? String, "rtmp")
        XCTAssertEqual(item["originType"] as? Int, 1)
        XCTAssertEqual(item["originTypeStr"] as? String, "rtmp_push")
        for field in ["readerCount", "totalReaderCount", "aliveSecond", "createStamp", "bytesSpeed", "originUrl", "originSock"] {
            XCTAssertNotNil(item[field], "\(field) in \(item)")
        }
        let tracks = try XCTUnwrap(item["tracks"] as? [[String: Any]])
        guard tracks.count == 2 else { return XCTFail("two tracks in \(item)") }
        XCTAssertEqual(tracks[0]["codec_id"] as? Int, 0)
        XCTAssertEqual(tracks[0]["codec_id_name"] as? String, "CodecH264")
        XCTAssertEqual(tracks[0]["codec_type"] as? Int, 0)
        XCTAssertEqual(tracks[0]["width"] as? Int, 320)
        XCTAssertEqual(tracks[0]["height"] as? Int, 240)
        XCTAssertEqual(tracks[1]["codec_id"] as? Int, 2)
        XCTAssertEqual(tracks[1]["codec_id_name"] as? String, "CodecAAC")
        XCTAssertEqual(tracks[1]["sample_rate"] as? Int, 44100)
        XCTAssertEqual(tracks[1]["channels"] as? Int, 1)
        let schemas = Set(((try call("getMediaList"))["data"] as? [[String: Any]] ?? []).compactMap { $0["schema"] as? String })
        XCTAssertEqual(schemas, ["rtmp", "rtsp", "ts", "fmp4"], "one item per schema the running plugins play")

        // A player is counted under its schema (HTTP-FLV is rtmp's) and listed.
        let player = Process()
        player.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        player.arguments = ["-s", "-o", "/dev/null", "--max-time", "6", "http://127.0.0.1:\(http)/live/cam.live.flv"]
        try player.run()
        defer { player.terminate() }
        XCTAssertTrue(waitUntil {
            (((try? self.call("getMediaList", "schema=rtmp"))?["data"] as? [[String: Any]])?.first?["readerCount"] as? Int) == 1
        })
        let players = try call("getMediaPlayerList", "schema=rtmp&app=live&stream=cam")
        XCTAssertEqual((players["data"] as? [[String: Any]])?.first?["peer_ip"] as? String, "127.0.0.1", "\(players)")
        XCTAssertEqual(try call("isMediaOnline", "schema=rtmp&app=live&stream=cam")["online"] as? Bool, true)
        XCTAssertEqual(try call("isMediaOnline", "app=live&stream=nothing")["online"] as? Bool, false)

        // Form bodies work as well as JSON and queries.
        XCTAssertEqual(try call("isMediaOnline", secret: nil, body: "secret=s3cret&app=live&stream=cam&schema=rtmp",
                                contentType: "application/x-www-form-urlencoded")["online"] as? Bool, true)
    }

    /// setServerConfig and checkConfig: saved, visible in getServerConfig and in behaviour; protected keys refused.
    func testSetServerConfigIsSavedShownAndApplied() throws {
        let (server, rtmp) = try startServer()
        defer { server.stop() }
        // setServerConfig: saved, visible in getServerConfig, and in behaviour (a shorter play wait).
        let set = try call("setServerConfig", body: "{\"secret\":\"s3cret\",\"server.play_wait_ms\":\"700\"}")
        XCTAssertEqual(code(set), 0, "\(set)")
        XCTAssertEqual(set["changed"] as? Int, 1)
        let config = try XCTUnwrap((try call("getServerConfig"))["data"] as? [[String: String]])
        XCTAssertEqual(config.first?["server.play_wait_ms"], "700")
        XCTAssertTrue(try String(contentsOfFile: server.configPath, encoding: .utf8).contains("play_wait_ms = 700"))
        let start = Date()
        let missing = MediaTools.probeFailure("rtmp://127.0.0.1:\(rtmp)/live/absent", timeout: 10)
        XCTAssertTrue(missing?.contains("Server error: No such stream: live/absent") == true, missing ?? "it played")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3.5, "a missing stream is given up after 0.7 s, not 5 s")
        XCTAssertEqual(code(try call("setServerConfig", "server.play_wait_ms=abc")), -300, "refused by validation")
        // Only known keys of existing tables, never a library path or a folder, and one value stays one line.
        XCTAssertEqual(code(try call("setServerConfig", "rtmp.pull=%5B%5D%0A%5Bevil%5D%0Apath%3D%22%2Ftmp%2Fe.so%22")), -300, "a line break")
        // ZLMediaKit's rule: keys that are not settings here are skipped and listed, the call goes on.
        let ghost = try call("setServerConfig", "ghost.enabled=true")
        XCTAssertEqual(code(ghost), 0, "no new plugin tables: \(ghost)")
        XCTAssertEqual(ghost["ignored"] as? [String], ["ghost.enabled"])
        XCTAssertEqual(ghost["changed"] as? Int, 0)
        XCTAssertFalse(try String(contentsOfFile: server.configPath, encoding: .utf8).contains("[ghost]"))
        XCTAssertEqual(code(try call("setServerConfig", "rtmp.path=%2Ftmp%2Fe.so")), -300, "library paths are protected")
        XCTAssertEqual(code(try call("setServerConfig", "httpmux.www_root=%2F")), -300, "served folders are protected")
        let snapFile = try call("setServerConfig", "api.default_snap=%2Fetc%2Fshadow")
        XCTAssertEqual(code(snapFile), -300, "so is the file getSnap may answer")
        XCTAssertTrue((snapFile["msg"] as? String ?? "").contains("cannot be changed through the API"), "\(snapFile)")
        XCTAssertEqual((try call("setServerConfig", "rtmp.no_such_key=1"))["ignored"] as? [String], ["rtmp.no_such_key"], "unknown keys")
        let untrusted = try call("checkConfig", body: "{\"secret\":\"s3cret\",\"config\":\"[x]\\npath = \\\"/tmp/e.so\\\"\\n\"}")
        XCTAssertEqual(untrusted["valid"] as? Bool, false, "\(untrusted)")
        XCTAssertTrue((untrusted["error"] as? String ?? "").contains("cannot be set through the API"), "\(untrusted)")
        // ZLMediaKit's names are understood and shown.
        XCTAssertEqual(code(try call("setServerConfig", "general.mediaServerId=edge-7")), 0)
        let named = try XCTUnwrap((try call("getServerConfig"))["data"] as? [[String: String]])
        XCTAssertEqual(named.first?["general.mediaServerId"], "edge-7")
        XCTAssertEqual(named.first?["api.media_server_id"], "edge-7")
        XCTAssertEqual(code(try call("setServerConfig", "bad%20name=1")), -300)
    }

    /// Sessions: the publisher is listed on the RTMP port, and kicking it ends the stream.
    func testKickSessionEndsThePublish() throws {
        let (server, rtmp) = try startServer()
        defer { server.stop() }
        let pub = try publishCam(server, rtmp: rtmp)
        defer { pub.terminate() }
        let sessions = try XCTUnwrap((try call("getAllSession", "local_port=\(rtmp)"))["data"] as? [[String: Any]])
        XCTAssertEqual(sessions.count, 1, "\(sessions)")
        let id = try XCTUnwrap(sessions.first?["id"] as? String)
        XCTAssertEqual(code(try call("kick_session", "id=\(id)")), 0, server.log)
        XCTAssertTrue(waitUntil(timeout: 20) { (try? self.call("isMediaOnline", "app=live&stream=cam"))?["online"] as? Bool == false },
                      server.log)
    }

    /// Plugins listed and disabled through the API, and checkConfig validating without applying.
    func testPluginsAreManagedAndConfigCheckedThroughTheApi() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        // Plugins: listed, disabled through the API (saved to the file), their endpoints gone with them.
        let plugins = try XCTUnwrap((try call("getPluginList"))["data"] as? [[String: Any]])
        XCTAssertEqual(plugins.first { $0["name"] as? String == "mp4" }?["state"] as? String, "running")
        XCTAssertTrue(((try call("getApiList"))["data"] as? [String] ?? []).contains("/index/api/startRecord"))
        XCTAssertEqual(code(try call("setPluginEnabled", "name=mp4&enabled=0")), 0)
        let after = try XCTUnwrap((try call("getPluginList"))["data"] as? [[String: Any]])
        XCTAssertNotEqual(after.first { $0["name"] as? String == "mp4" }?["state"] as? String, "running")
        XCTAssertFalse(((try call("getApiList"))["data"] as? [String] ?? []).contains("/index/api/startRecord"))
        XCTAssertEqual(code(try call("startRecord", "app=live&stream=cam")), -500)
        XCTAssertEqual(code(try call("setPluginEnabled", "name=ghost&enabled=1")), -500)

        // checkConfig validates without applying.
        let bad = try call("checkConfig", body: "{\"secret\":\"s3cret\",\"config\":\"[server]\\nplay_wait_ms = \\\"x\\\"\\n\"}")
        XCTAssertEqual(bad["valid"] as? Bool, false, "\(bad)")
        XCTAssertTrue((bad["error"] as? String ?? "").contains("play_wait_ms"), "\(bad)")
        XCTAssertEqual((try call("checkConfig"))["valid"] as? Bool, true)
    }

    /// restartServer replaces the process with a new run of the same command line (same PID), which answers
    /// again and still stops cleanly on SIGTERM (the signal mask is reset across exec).
    func testRestartServerComesBackAndStopsCleanly() throws {
        let (rtmp, rtsp) = (freePort(), freePort())
        http = freePort()
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http)
        XCTAssertTrue(server.waitForLog("plugin httpmux"), server.log)
        XCTAssertEqual(code(try call("restartServer", secret: nil)), 0)
        XCTAssertTrue(server.waitForLog("MediaRouter 0.1.0 starting", count: 2, timeout: 15), server.log)
        XCTAssertTrue(waitUntil(timeout: 10) { (try? self.call("version", secret: nil)).flatMap { self.code($0) } == 0 }, server.log)
        XCTAssertEqual(server.stop(), 0, server.log)
    }

    /// The OpenAPI document the API serves is the one kept in docs/openapi.json (MR_UPDATE_OPENAPI=1 rewrites it),
    /// and /metrics parses with prometheus_client with the bus's figures in it.
    func testOpenApiDocumentAndPrometheusMetrics() throws {
        let (rtmp, rtsp) = (freePort(), freePort())
        http = freePort()
        // Three loops, not one per core: the lag gauges are counted below, and 3 is no machine's default here.
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, threads: 3, extra: """
            [mp4]
            record_root = "\(NSTemporaryDirectory())mr-api-\(getpid())"
            [hls]
            """)
        defer { server.stop() }
        XCTAssertTrue(server.waitForLog("plugin hls"), server.log)
        let served = try XCTUnwrap((try call("getOpenApi", secret: nil))["data"] as? [String: Any])
        let servedText = String(decoding: try JSONSerialization.data(withJSONObject: served, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self) + "\n"
        let kept = Build.repoRoot.appendingPathComponent("docs/openapi.json")
        if ProcessInfo.processInfo.environment["MR_UPDATE_OPENAPI"] == "1" { try servedText.write(to: kept, atomically: true, encoding: .utf8) }
        XCTAssertEqual(try String(contentsOf: kept, encoding: .utf8), servedText,
                       "docs/openapi.json is stale: run the test with MR_UPDATE_OPENAPI=1")
        let paths = try XCTUnwrap(served["paths"] as? [String: Any])
        for name in ["getMediaList", "setServerConfig", "kick_session", "startRecord", "getPluginList"] {
            XCTAssertNotNil(paths["/index/api/\(name)"], name)
        }

        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/m", seconds: 20)
        defer { pub.terminate() }
        XCTAssertTrue(server.waitForLog("publish /live/m", timeout: 10), server.log)
        let player = Process()
        player.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        player.arguments = ["-s", "-o", "/dev/null", "--max-time", "8", "http://127.0.0.1:\(http)/live/m.live.ts"]
        try player.run()
        defer { player.terminate() }
        sleep(2)
        let script = """
            import sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen("http://127.0.0.1:\(http)/metrics").read().decode()
            values = {}
            for family in text_string_to_metric_families(text):
                for s in family.samples:
                    values[(s.name, tuple(sorted(s.labels.items())))] = s.value
            print(values[("mediarouter_streams", ())])
            print(values[("mediarouter_readers", (("protocol", "http-ts"),))])
            print(sum(v for (n, l), v in values.items() if n == "mediarouter_sessions"))
            print(values[("mediarouter_plugin_running", (("plugin", "rtmp"),))])
            print(len([n for (n, l) in values if n == "mediarouter_event_loop_lag_seconds"]))
            """
        let (status, out) = try runCommand("/usr/bin/env", ["python3", "-c", script], timeout: 20)
        XCTAssertEqual(status, 0, out)
        let lines = out.split(separator: "\n").compactMap { Double($0) }
        XCTAssertEqual(lines.count, 5, out)
        XCTAssertEqual(lines.first, 1, "one stream: \(out)")
        XCTAssertEqual(lines.dropFirst().first, 1, "one HTTP-TS player: \(out)")
        XCTAssertGreaterThanOrEqual(lines.dropFirst(2).first ?? 0, 2, "the publisher and the player are sessions: \(out)")
        XCTAssertEqual(lines.dropFirst(3).first, 1, "rtmp runs: \(out)")
        XCTAssertEqual(lines.last, 3, "one lag gauge per loop: \(out)")
    }
}
