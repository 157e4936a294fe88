import Foundation
import XCTest

/// The platform's contracts on the real binary (issue 11): the management core reaches a protocol it has never
/// heard of through the plugin's ABI 1.3 declaration, plugins send web hooks through `hook.post`, and
/// setServerConfig/getServerConfig answer as ZLMediaKit does for wvp-GB28181-pro's start-up calls.
final class PlatformContractTests: XCTestCase {
    private func api(_ http: Int, _ name: String, _ params: [String: String] = [:], file: StaticString = #filePath,
                     line: UInt = #line) throws -> [String: Any] {
        let args = ["-s", "--max-time", "20", "http://127.0.0.1:\(http)/index/api/\(name)"]
            + params.sorted { $0.key < $1.key }.flatMap { ["--data-urlencode", "\($0.key)=\($0.value)"] }
        let (status, out) = try runCommand("/usr/bin/curl", args, timeout: 25)
        XCTAssertEqual(status, 0, out, file: file, line: line)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    private func code(_ r: [String: Any]) -> Int { (r["code"] as? NSNumber)?.intValue ?? -999 }

    /// A placeholder plugin in plain C, declaring only `"implemented": false` (ABI 1.3), built with cc.
    private func buildPlaceholder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-placeholder-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = dir.appendingPathComponent("pending.c"), out = dir.appendingPathComponent("libpending.so")
        try #"""
            #include <mediarouter_plugin.h>
            #include <string.h>
            static mr_status pending_init(mr_host *h, const mr_host_api *api, void **state) { (void)h; (void)api; *state = NULL; return MR_OK; }
            static mr_plugin_descriptor d;
            const mr_plugin_descriptor *mr_plugin_entry_v1(void) {
                memset(&d, 0, sizeof d);
                d.size = sizeof d; d.abi_major = MR_ABI_MAJOR; d.abi_minor = MR_ABI_MINOR;
                d.name = "pending"; d.version = "0.0.0"; d.build_signature = "mr-abi " MR_ABI_VERSION_STRING "; cc";
                d.init = pending_init;
                d.serves = "{\"implemented\": false}";
                return &d;
            }
            """#.write(to: src, atomically: true, encoding: .utf8)
        let (status, output) = try runCommand("/usr/bin/cc", ["-shared", "-fPIC", "-Wall", "-Werror", "-I",
                                                       Build.repoRoot.path + "/Sources/PluginABI/include", "-o", out.path, src.path])
        XCTAssertEqual(status, 0, output)
        return out.path
    }

    func testAnUnknownSchemeIsPulledAndListedThroughItsPluginsDeclaration() throws {
        let http = freePort()
        let s = try ServerProcess(config: """
            [httpmux]
            port = \(http)
            [testsource]
            fps = 25
            [pending]
            path = "\(try buildPlaceholder())"
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started") && s.waitForLog("plugin testsource 1.0.0 started")
                      && s.waitForLog("plugin pending 0.0.0 started"), s.log)

        // test:// is declared by the test plugin only: the API finds it there.
        let added = try api(http, "addStreamProxy", ["app": "t", "stream": "one", "url": "test://anything/at/all"])
        XCTAssertEqual(code(added), 0, "\(added)")
        XCTAssertEqual((added["data"] as? [String: Any])?["key"] as? String, "__defaultVhost__/t/one")
        XCTAssertTrue(waitUntil(timeout: 10) { (try? self.api(http, "isMediaOnline", ["app": "t", "stream": "one"]))?["online"] as? Bool == true }, s.log)

        // Listed once per schema the running plugins declare, the test plugin's own among them, with the
        // originType its source declaration gives.
        let list = try XCTUnwrap(try api(http, "getMediaList", ["app": "t"])["data"] as? [[String: Any]])
        let schemas = Set(list.compactMap { $0["schema"] as? String })
        XCTAssertEqual(schemas, ["test", "rtmp", "ts", "fmp4"], "httpmux declares rtmp (FLV), ts and fmp4; testsource declares test: \(list)")
        let item = try XCTUnwrap(list.first { $0["schema"] as? String == "test" })
        XCTAssertEqual((item["originType"] as? NSNumber)?.intValue, 4)
        XCTAssertEqual(item["originTypeStr"] as? String, "pull")
        XCTAssertEqual(item["originUrl"] as? String, "test://anything/at/all", "a pull's origin is the URL it pulls")
        XCTAssertEqual((try api(http, "getMediaList", ["schema": "test"])["data"] as? [Any])?.count, 1)

        // A scheme nobody declares is refused with the ones that are.
        let unknown = try api(http, "addStreamProxy", ["app": "t", "stream": "two", "url": "nope://x"])
        XCTAssertEqual(code(unknown), -300, "\(unknown)")
        XCTAssertTrue((unknown["msg"] as? String ?? "").contains("test://"), "\(unknown)")
        let pushed = try api(http, "addStreamPusherProxy", ["app": "t", "stream": "one", "dst_url": "test://x"])
        XCTAssertEqual(code(pushed), -300, "nobody pushes test://: \(pushed)")

        // The list of proxies comes from the declaring plugin, and deleting ends the stream.
        let proxies = try XCTUnwrap(try api(http, "listStreamProxy")["data"] as? [[String: Any]])
        XCTAssertEqual(proxies.compactMap { $0["key"] as? String }, ["__defaultVhost__/t/one"], "\(proxies)")
        let deleted = try api(http, "delStreamProxy", ["key": "__defaultVhost__/t/one"])
        XCTAssertEqual((deleted["data"] as? [String: Any])?["flag"] as? Bool, true, "\(deleted)")
        XCTAssertTrue(waitUntil(timeout: 10) { (try? self.api(http, "isMediaOnline", ["app": "t", "stream": "one"]))?["online"] as? Bool == false })

        // A placeholder plugin says so, in the plugin list and in /metrics.
        let plugins = try XCTUnwrap(try api(http, "getPluginList")["data"] as? [[String: Any]])
        XCTAssertEqual(plugins.first { $0["name"] as? String == "pending" }?["state"] as? String, "not implemented")
        XCTAssertEqual(plugins.first { $0["name"] as? String == "testsource" }?["state"] as? String, "running")
        let declared = plugins.first { $0["name"] as? String == "testsource" }?["serves"] as? [String: Any]
        XCTAssertEqual((declared?["pull"] as? [[String: Any]])?.first?["scheme"] as? String, "test", "\(plugins)")
        let (_, metrics) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(http)/metrics"], timeout: 10)
        XCTAssertTrue(metrics.contains("mediarouter_plugin_running{plugin=\"pending\"} 0"), metrics)
        XCTAssertTrue(metrics.contains("mediarouter_plugin_running{plugin=\"testsource\"} 1"), metrics)
    }

    func testPluginsSendNamedHooksThroughTheCoresClient() throws {
        let receiver = try HookReceiver()
        let http = freePort()
        let s = try ServerProcess(config: """
            [api]
            media_server_id = "node-9"
            [hook]
            enable = true
            on_rtp_server_timeout = "\(receiver.url("on_rtp_server_timeout"))"
            [httpmux]
            port = \(http)
            [testsource]
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started") && s.waitForLog("plugin testsource 1.0.0 started"), s.log)

        let sent = try api(http, "testPostHook", ["hook": "on_rtp_server_timeout", "stream_id": "0A0B0C0D"])
        XCTAssertEqual(code(sent), 0, "\(sent)")
        XCTAssertEqual(sent["sent"] as? Bool, true, "\(sent)")
        XCTAssertEqual(sent["allowed"] as? Bool, true, "the receiver answered code 0: \(sent)")
        XCTAssertTrue(receiver.wait("on_rtp_server_timeout"), s.log)
        let body = try XCTUnwrap(receiver.bodies("on_rtp_server_timeout").first)
        XCTAssertEqual(body["stream_id"] as? String, "0A0B0C0D")
        XCTAssertEqual(body["mediaServerId"] as? String, "node-9", "the core's id, not the plugin's: \(body)")
        XCTAssertNotNil(body["hook_index"] as? NSNumber, "\(body)")

        // A hook without a URL is not sent, and says why; a name that is no hook is refused.
        let unset = try api(http, "testPostHook", ["hook": "on_send_rtp_stopped"])
        XCTAssertEqual(code(unset), 0, "\(unset)")
        XCTAssertEqual(unset["sent"] as? Bool, false, "\(unset)")
        XCTAssertEqual(code(try api(http, "testPostHook", ["hook": "on_whatever"])), -300)
        let (_, metrics) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(http)/metrics"], timeout: 10)
        XCTAssertTrue(metrics.contains("hook=\"on_rtp_server_timeout\""), "hook metrics count plugin hooks too")
    }

    /// wvp-GB28181-pro's start-up call (its ZLMServerFactory), keys and value forms as it sends them.
    func testSetServerConfigTakesWvpsStartupCallAsZLMediaKitDoes() throws {
        let http = freePort(), rtmp = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: "[mp4]\n[gb28181]\nport = 10000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started") && s.waitForLog("plugin gb28181 0.1.0 started")
                      && s.waitForLog("plugin mp4 0.1.0 started"), s.log)
        let hookBase = "http://127.0.0.1:18080/index/hook"
        var call: [String: String] = [
            "hook.enable": "1", "hook.timeoutSec": "30", "hook.alive_interval": "10.0", "protocol.continue_push_ms": "3000",
            "rtp_proxy.port_range": "30000-30500", "protocol.mp4_save_path": "/var/www", "protocol.downloadRoot": "/var/www",
            "record.appName": "record", "ffmpeg.snap": "%s -i %s -y -f mjpeg -frames:v 1 %s", "general.mediaServerId": "wvp-node",
        ]
        for hook in ["on_play", "on_publish", "on_stream_changed", "on_stream_none_reader", "on_send_rtp_stopped",
                     "on_rtp_server_timeout", "on_server_keepalive", "on_record_mp4"] {
            call["hook.\(hook)"] = "\(hookBase)/\(hook)"
        }
        for blank in ["on_flow_report", "on_http_access", "on_rtsp_auth", "on_rtsp_realm", "on_shell_login", "on_server_started"] {
            call["hook.\(blank)"] = ""
        }
        let answer = try api(http, "setServerConfig", call)
        XCTAssertEqual(code(answer), 0, "\(answer)")
        XCTAssertGreaterThanOrEqual((answer["changed"] as? NSNumber)?.intValue ?? 0, 10, "\(answer)")
        XCTAssertEqual(Set(answer["ignored"] as? [String] ?? []), ["protocol.downloadRoot", "record.appName", "ffmpeg.snap"],
                       "keys without a counterpart here: \(answer)")
        XCTAssertEqual(answer["refused"] as? [String], ["protocol.mp4_save_path"], "a folder: \(answer)")

        let config = try XCTUnwrap((try api(http, "getServerConfig"))["data"] as? [[String: String]]).first ?? [:]
        XCTAssertEqual(config["hook.enable"], "1")
        XCTAssertEqual(config["hook.timeoutSec"], "30.0")
        XCTAssertEqual(config["protocol.continue_push_ms"], "3000")
        XCTAssertEqual(config["server.reconnect_window_ms"], "3000")
        XCTAssertEqual(config["hook.on_rtp_server_timeout"], "\(hookBase)/on_rtp_server_timeout", "stored and shown")
        XCTAssertEqual(config["hook.on_shell_login"], "")
        for (key, value) in ["general.mediaServerId": "wvp-node", "http.port": "\(http)", "rtmp.port": "\(rtmp)", "rtsp.port": "\(rtsp)",
                             "rtp_proxy.port": "10000", "rtp_proxy.port_range": "30000-30500", "hook.alive_interval": "10.0", "http.sslport": "0"] {
            XCTAssertEqual(config[key], value, "\(key) as wvp reads it")
        }
        XCTAssertTrue(try String(contentsOfFile: s.configPath, encoding: .utf8).contains("enable = true"), "1 written as a TOML boolean")

        // A call of only bad values still says why.
        let bad = try api(http, "setServerConfig", ["server.play_wait_ms": "abc"])
        XCTAssertEqual(code(bad), -300, "\(bad)")
        XCTAssertTrue((bad["msg"] as? String ?? "").contains("expected an integer"), "\(bad)")
        let numeric = try api(http, "setServerConfig", ["general.maxStreamWaitMS": "1500.0"])
        XCTAssertEqual(code(numeric), 0, "ZLMediaKit's numbers come as 10.0 too: \(numeric)")
        let after = try XCTUnwrap((try api(http, "getServerConfig"))["data"] as? [[String: String]]).first ?? [:]
        XCTAssertEqual(after["server.play_wait_ms"], "1500")
    }
}
