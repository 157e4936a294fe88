import XCTest
@testable import RouterCore

final class ConfigTests: XCTestCase {
    private func validate(_ text: String) throws -> ServerConfig {
        try ServerConfig.validate(ConfigDocument.parse(text: text, path: "/etc/mr/plugins.conf"), executableDir: "/opt/mr")
    }

    private func error(_ text: String) -> ConfigError? {
        do { _ = try validate(text); return nil } catch let e as ConfigError { return e } catch { return nil }
    }

    func testGopCacheFollowsReaderMaxLagUnlessSet() throws {
        XCTAssertEqual(try validate("[server]\n").settings.bus.ringSoftLimit, 512)
        XCTAssertEqual(try validate("[server]\nreader_max_lag = 300\n").settings.bus.ringSoftLimit, 300)
        XCTAssertEqual(try validate("[server]\nreader_max_lag = 300\ngop_cache_frames = 2000\n").settings.bus.ringSoftLimit, 2000)
        XCTAssertEqual(try validate("[server]\nreader_max_lag = 9000\n").settings.bus.ringSoftLimit, 4096, "never past ring_frames")
    }

    func testValidFileGivesSettingsAndEntriesInFileOrder() throws {
        let c = try validate("""
        [server]
        threads = 3
        log_level = "debug"
        play_wait_ms = 1500
        reconnect_window_ms = 10000

        [rtsp]
        enabled = true
        port = 8554

        [hooks]
        path = "plugins/libhooks.so"
        url = "http://127.0.0.1/hook"

        [rtmp]
        enabled = false
        port = 1935
        """)
        XCTAssertEqual(c.settings.threads, 3)
        XCTAssertEqual(c.settings.logLevel, .debug)
        XCTAssertEqual(c.settings.bus.playWaitMs, 1500)
        XCTAssertEqual(c.settings.bus.reconnectWindowMs, 10000)
        XCTAssertEqual(c.plugins.map(\.name), ["rtsp", "hooks", "rtmp"])
        XCTAssertEqual(c.plugins[0].path, "/opt/mr/libmrplugin_rtsp.so")
        XCTAssertEqual(c.plugins[1].path, "/etc/mr/plugins/libhooks.so", "relative paths are from the config's folder")
        XCTAssertTrue(c.plugins[1].enabled, "a table without enabled is enabled")
        XCTAssertFalse(c.plugins[2].enabled)
        XCTAssertEqual(c.plugins[1].table["url"], .string("http://127.0.0.1/hook"))
    }

    func testWrongTypeNamesFileLineAndKey() {
        let e = error("""
        [server]
        threads = 2

        [rtmp]
        enabled = true
        port = "1935"
        """)
        XCTAssertEqual(e?.line, 6)
        XCTAssertEqual(e?.key, "port")
        XCTAssertEqual(e?.description, "/etc/mr/plugins.conf:6: [rtmp] port: expected integer, found string")
    }

    func testServerValueOutOfRangeOrUnknownEnumIsAnError() {
        XCTAssertEqual(error("[server]\nthreads = 0\n")?.key, "threads")
        XCTAssertEqual(error("[server]\nlog_level = \"loud\"\n")?.line, 2)
        XCTAssertEqual(error("[server]\nauth_default = \"maybe\"\n")?.key, "auth_default")
        XCTAssertEqual(error("[rtmp]\nport = 70000\n")?.key, "port")
        XCTAssertEqual(error("[httpmux]\nmax_connections_per_ip = -1\n")?.key, "max_connections_per_ip")
        XCTAssertEqual(error("[rtsp]\nmax_connections = \"many\"\n")?.key, "max_connections")
    }

    func testSyntaxErrorGivesItsLine() {
        let e = error("[server]\nthreads = 2\n[rtmp\nport = 1\n")
        XCTAssertEqual(e?.line, 3)
        XCTAssertTrue(e?.message.hasPrefix("TOML syntax") ?? false)
    }

    /// Found by the FuzzConfig fuzz target: toml++ asserted (the process aborted) on a table name starting with
    /// a character that is not a bare-key one, and on a date whose T has no time. The crashing inputs (the
    /// first as bytes) and variants are refused with their line.
    func testTableNameStartingWithNonAsciiIsRefusedNotAnAbort() {
        let crash: [UInt8] = [0x5B, 0xEF, 0xBF, 0xBD, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x5D, 0x0A, 0x6C, 0x6F, 0x67, 0x5F,
                              0x6C, 0x65, 0x76, 0x65, 0x6C, 0x20, 0x3D, 0x20, 0x22, 0x6C, 0x6F, 0x75, 0x64, 0x22, 0x0A]
        let found = [String(decoding: crash, as: UTF8.self), "[\u{14}\0\0\0\0\0\0\0rt = 70000\n", "[=x]\n", "[#x]\n", "[ \n", "[[\n",
                     "\u{FEFF}[=\"\"\"00\\u", "[rtmp]\nport = 1935\n[other]\nenabled = 1979-05-27T-07:32:00Z\n"]
        for text in found + ["[server]\n[[ \u{E9}x]]\n", "# c\n\n  [\t\u{1F600}]\n"] {
            let e = error(text)
            XCTAssertTrue(e?.message.hasPrefix("TOML syntax") ?? false, "\(text.debugDescription): \(String(describing: e))")
        }
        XCTAssertEqual(error("[server]\n[[ \u{E9}x]]\n")?.line, 2)
        XCTAssertEqual(error("# c\n\n  [\t\u{1F600}]\n")?.line, 3)
        XCTAssertNil(error("[server]\nthreads = 2\n[\"caf\u{E9}\"]\n"), "a quoted table name may hold any character")
        // Not headers: lines of a multi-line array or string that start with "[" are values.
        XCTAssertNil(error("[rtmp]\nlist = [\n  [\n  1], [ 2 ],\n]\nnote = \"\"\"\n[=x]\n\"\"\"\n[rtsp]\n"))
    }

    func testUnknownServerKeyWarnsWithItsLine() throws {
        let c = try validate("[server]\nthreads = 2\nthraeds = 4\n")
        XCTAssertEqual(c.warnings.count, 1)
        XCTAssertTrue(c.warnings[0].contains(":3: [server] unknown key 'thraeds'"), c.warnings[0])
    }

    func testTwoEnabledPluginsOnOnePortAreRefused() {
        let e = error("[rtmp]\nport = 1935\n[other]\nport = 1935\n")
        XCTAssertEqual(e?.table, "other")
        XCTAssertTrue(e?.message.contains("already used by [rtmp]") ?? false)
        XCTAssertNil(error("[rtmp]\nport = 1935\n[other]\nenabled = false\nport = 1935\n"), "a disabled plugin holds no port")
    }

    func testTopLevelKeyIsRefused() {
        XCTAssertEqual(error("threads = 2\n[server]\n")?.key, "threads")
    }

    func testDottedLookupReachesSubTables() throws {
        let c = try validate("[httpmux]\nport = 8080\n[httpmux.tls]\ncert = \"/c.pem\"\n")
        XCTAssertEqual(ConfigValue.lookup("tls.cert", in: c.plugins[0].table), .string("/c.pem"))
        XCTAssertNil(ConfigValue.lookup("tls.key", in: c.plugins[0].table))
    }

    func testEqualDocumentsCompareEqualAndChangesAreSeenPerPlugin() throws {
        let a = try validate("[rtmp]\nport = 1935\n[rtsp]\nport = 8554\n")
        let b = try validate("# a comment\n[rtmp]\nport = 1935\n\n[rtsp]\nport = 8554\n")
        let c = try validate("[rtmp]\nport = 1936\n[rtsp]\nport = 8554\n")
        XCTAssertEqual(a, b, "formatting and comments are not changes")
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.plugins[1], c.plugins[1], "rtsp is untouched")
        XCTAssertNotEqual(a.plugins[0], c.plugins[0])
    }

    func testDefaultPluginsConfIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try ServerConfig.load(path: root.appendingPathComponent("plugins.conf").path, executableDir: "/x")
        XCTAssertEqual(Set(c.plugins.map(\.name)), ["rtmp", "rtsp", "httpmux", "hls", "mp4", "webrtc", "srt", "gb28181"])
        XCTAssertEqual(c.plugins.first { $0.name == "rtsp" }?.port, 8554)
        XCTAssertTrue(c.warnings.isEmpty, "\(c.warnings)")
    }
}
