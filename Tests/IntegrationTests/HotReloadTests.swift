import Foundation
import XCTest

/// Hot reload on the real binary: plugins are added, removed, reconfigured and restarted while a stream
/// of an untouched plugin keeps flowing with no gap in its frame sequence.
final class HotReloadTests: XCTestCase {
    private func config(sinkPort: Int, fps: Int, extra: String) -> String {
        """
        [server]
        log_level = "info"
        watch_interval_ms = 100
        play_wait_ms = 500

        [testsource]
        streams = ["live/a"]
        fps = \(fps)
        gop = 10

        [testsink]
        streams = ["live/a"]
        port = \(sinkPort)

        \(extra)
        """
    }

    func testReloadAddsRemovesReconfiguresWhileUntouchedStreamFlows() throws {
        let sinkPort = freePort()
        let shellPort = freePort()
        let shell = try CExample.buildDebugShell()
        let rtmpPort = freePort()
        let server = try ServerProcess(config: config(sinkPort: sinkPort, fps: 50, extra: """
            [debugshell]
            path = "\(shell)"
            port = \(shellPort)

            [rtmp]
            port = \(rtmpPort)
            """))
        try server.start()
        defer { XCTAssertEqual(server.stop(), 0, server.log) }
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/a")?.frames ?? 0) > 20 }, server.log)
        XCTAssertNotNil(talk(port: shellPort, "quit\r\n"))

        // 1. SIGHUP: add a plugin table (a second instance of the test source); move the C shell to
        //    another port and rtmp to another port (both ask for a restart).
        let extraPort = freePort()
        let shellPort2 = freePort()
        try server.rewrite(config(sinkPort: sinkPort, fps: 50, extra: """
            [extra]
            path = "\(Build.plugin("testsource"))"
            streams = ["live/c"]

            [debugshell]
            path = "\(shell)"
            port = \(shellPort2)

            [rtmp]
            port = \(extraPort)
            """))
        server.signal(SIGHUP)
        XCTAssertTrue(server.waitForLog("plugin extra 1.0.0 started"), server.log)
        XCTAssertTrue(server.waitForLog("plugin debugshell: restarting for its new config"), server.log)
        XCTAssertTrue(server.waitForLog("plugin rtmp: restarting for its new config"), server.log)
        XCTAssertNotNil(talk(port: extraPort, timeout: 0.2), "rtmp listens on its new port")
        XCTAssertNil(talk(port: rtmpPort), "and no longer on the old one")
        XCTAssertNil(talk(port: shellPort), "the old listener is closed")
        XCTAssertTrue(talk(port: shellPort2, "streams\r\nquit\r\n")?.contains("\"stream\" : \"c\"") ?? false,
                      "the restarted shell sees the new plugin's stream")
        let afterFirst = try XCTUnwrap(SinkStats.read(port: sinkPort, stream: "live/a"))

        // 2. File change (watched): reconfigure the publisher in place (new frame rate), disable extra,
        //    remove the shell.
        try server.rewrite(config(sinkPort: sinkPort, fps: 25, extra: """
            [extra]
            enabled = false
            path = "\(Build.plugin("testsource"))"
            streams = ["live/c"]

            [rtmp]
            port = \(extraPort)
            """))
        XCTAssertTrue(server.waitForLog("[testsource] frame rate now 25"), server.log)
        XCTAssertTrue(server.waitForLog("plugin testsource: reconfigured"), server.log)
        XCTAssertTrue(server.waitForLog("plugin extra stopped"), server.log)
        XCTAssertTrue(server.waitForLog("plugin debugshell stopped", count: 2), server.log)
        XCTAssertNil(talk(port: shellPort2), "a removed plugin's listener is closed")
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/a")?.frames ?? 0) > afterFirst.frames + 25 })

        let stats = try XCTUnwrap(SinkStats.read(port: sinkPort, stream: "live/a"))
        XCTAssertEqual(stats.gaps, 0, "no frame of the untouched stream was lost")
        XCTAssertEqual(stats.skips, 0)
        XCTAssertEqual(stats.starts, 1, "the reader was never restarted")
        XCTAssertEqual(stats.backwards, 0)
        XCTAssertTrue(stats.firstKey)
        XCTAssertFalse(server.log.contains("plugin testsink stopped"), "the sink was never touched")
    }

    /// watch_config = false: a changed file is not applied, however often it would be checked, until SIGHUP.
    func testWatchConfigOffWaitsForSighup() throws {
        let (first, second) = (freePort(), freePort())
        let text = { (rtmp: Int) in "[server]\nwatch_config = false\nwatch_interval_ms = 100\n[rtmp]\nport = \(rtmp)\n" }
        let server = try ServerProcess(config: text(first))
        try server.start()
        defer { XCTAssertEqual(server.stop(), 0, server.log) }
        let listening = { (port: Int) -> Bool in
            guard let fd = connectLoopback(port: port, timeout: 0.2) else { return false }
            close(fd)
            return true
        }
        XCTAssertTrue(listening(first), server.log)
        try server.rewrite(text(second))
        // Fifteen watch intervals: a watcher would have moved rtmp by now.
        usleep(1_500_000)
        XCTAssertFalse(listening(second), "the changed file was applied without SIGHUP: \(server.log)")
        XCTAssertTrue(listening(first))
        server.signal(SIGHUP)
        XCTAssertTrue(waitUntil(timeout: 5) { listening(second) }, server.log)
        XCTAssertFalse(listening(first))
    }

    func testInvalidConfigOnReloadChangesNothing() throws {
        let sinkPort = freePort()
        let server = try ServerProcess(config: config(sinkPort: sinkPort, fps: 50, extra: ""))
        try server.start()
        defer { XCTAssertEqual(server.stop(), 0, server.log) }
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/a")?.frames ?? 0) > 10 }, server.log)
        try server.rewrite(config(sinkPort: sinkPort, fps: 50, extra: "[rtmp]\nport = \"not a number\"\n"))
        server.signal(SIGHUP)
        XCTAssertTrue(server.waitForLog("config not applied, keeping the running one"), server.log)
        XCTAssertTrue(server.log.contains("plugins.conf:16: [rtmp] port: expected integer, found string"), server.log)
        let before = try XCTUnwrap(SinkStats.read(port: sinkPort, stream: "live/a"))
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/a")?.frames ?? 0) > before.frames + 10 })
        XCTAssertFalse(server.log.contains("plugin rtmp"), "nothing of the bad file was applied")
        XCTAssertEqual(SinkStats.read(port: sinkPort, stream: "live/a")?.gaps, 0)
    }

    func testPublisherRestartedWithinReconnectWindowKeepsReaderAttached() throws {
        let sinkPort = freePort()
        let text = config(sinkPort: sinkPort, fps: 50, extra: "").replacingOccurrences(
            of: "play_wait_ms = 500", with: "play_wait_ms = 500\nreconnect_window_ms = 5000")
        let server = try ServerProcess(config: text)
        try server.start()
        defer { XCTAssertEqual(server.stop(), 0, server.log) }
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/a")?.frames ?? 0) > 10 }, server.log)
        // A new stream list makes the source plugin restart: its publisher leaves and comes back.
        try server.rewrite(text.replacingOccurrences(of: "streams = [\"live/a\"]\nfps", with: "streams = [\"live/a\", \"live/b\"]\nfps"))
        XCTAssertTrue(server.waitForLog("resumes within the reconnect window"), server.log)
        let before = try XCTUnwrap(SinkStats.read(port: sinkPort, stream: "live/a"))
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/a")?.frames ?? 0) > before.frames + 10 })
        let stats = try XCTUnwrap(SinkStats.read(port: sinkPort, stream: "live/a"))
        XCTAssertEqual(stats.starts, 1, "the reader stayed attached across the publisher's restart")
        XCTAssertEqual(stats.backwards, 0, "timestamps kept moving forward")
    }
}
