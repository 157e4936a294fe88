import Foundation
import XCTest

/// The executable's flags, signals, how it survives bad plugins, and where it finds them (plugin_dir).
final class CommandLineTests: XCTestCase {
    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mr-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testCheckConfigAcceptsTheDefaultFileAndRejectsABadOneWithItsLine() throws {
        let (ok, okOut) = try runCommand(Build.mediarouter, ["--check-config", "-c", Build.repoRoot.appendingPathComponent("plugins.conf").path])
        XCTAssertEqual(ok, 0, okOut)
        XCTAssertTrue(okOut.contains("OK (8 of 8 plugins enabled)"), okOut)

        let bad = try write("[server]\nthreads = 2\n\n[rtmp]\nenabled = \"yes\"\n")
        let (status, out) = try runCommand(Build.mediarouter, ["--check-config", "--config", bad])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(out.contains("\(bad):5: [rtmp] enabled: expected boolean, found string"), out)

        let (missingStatus, missingOut) = try runCommand(Build.mediarouter, ["--check-config", "-c", "/nonexistent/x.conf"])
        XCTAssertNotEqual(missingStatus, 0)
        XCTAssertTrue(missingOut.contains("cannot read the file"), missingOut)
    }

    func testPluginTypeErrorsComeFromTheDeclaredKeys() throws {
        let conf = try write("[testsource]\nfps = \"fast\"\nshape = 1\n")
        let (status, out) = try runCommand(Build.mediarouter, ["--check-config", "-c", conf])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(out.contains(":2: [testsource] fps: expected integer, found string"), out)
        let warnConf = try write("[testsource]\nfps = 10\nshape = 1\n")
        let (ok, warnOut) = try runCommand(Build.mediarouter, ["--check-config", "-c", warnConf])
        XCTAssertEqual(ok, 0, warnOut)
        XCTAssertTrue(warnOut.contains(":3: [testsource] unknown key 'shape'"), warnOut)
    }

    func testListPluginsAndVersion() throws {
        let conf = try write("[testsource]\n[srt]\nenabled = false\n[ghost]\n")
        let (status, out) = try runCommand(Build.mediarouter, ["--list-plugins", "-c", conf])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("testsource  testsource  1.0.0    1.6  yes"), out)
        XCTAssertTrue(out.contains("SRT (libsrt)"), out)
        XCTAssertTrue(out.contains("ghost") && out.contains("cannot load: no such file"), out)
        let (vStatus, version) = try runCommand(Build.mediarouter, ["--version"])
        XCTAssertEqual(vStatus, 0)
        XCTAssertTrue(version.hasPrefix("mediarouter 0.1.0 (plugin ABI 1.6)"), version)
    }

    func testBadPluginsAreSkippedAndTheServerGoesOnThenStopsCleanly() throws {
        let sinkPort = freePort()
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(getpid()).so").path
        try Data("nope".utf8).write(to: URL(fileURLWithPath: junk))
        let server = try ServerProcess(config: """
            [missing]
            path = "/nonexistent/libnothing.so"
            [junk]
            path = "\(junk)"
            [testsource]
            streams = ["live/x"]
            [testsink]
            streams = ["live/x"]
            port = \(sinkPort)
            """)
        try server.start()
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/x")?.frames ?? 0) > 5 }, server.log)
        XCTAssertTrue(server.log.contains("plugin missing refused: /nonexistent/libnothing.so: no such file"), server.log)
        XCTAssertTrue(server.log.contains("plugin junk refused: \(junk): dlopen failed"), server.log)
        XCTAssertEqual(server.stop(), 0, "SIGTERM is a graceful stop with exit 0")
        XCTAssertTrue(server.log.contains("plugin testsink stopped"), server.log)
        XCTAssertTrue(server.log.contains("INFO stopped"), server.log)
    }

    /// plugin_dir = "plugins" (relative: the config file's folder) holding only libmrplugin_mysink.so, a link to
    /// the counting sink: [mysink] loads from there and counts [testsource]'s frames, [testsink] is not found
    /// there (its port never answers) though it lies beside the executable.
    func testPluginDirIsWherePluginsWithoutPathAreFound() throws {
        let sinkPort = freePort(), missingPort = freePort()
        let server = try ServerProcess(config: """
            [server]
            plugin_dir = "plugins"
            [testsource]
            path = "\(Build.plugin("testsource"))"
            streams = ["live/d"]
            [mysink]
            streams = ["live/d"]
            port = \(sinkPort)
            [testsink]
            streams = ["live/d"]
            port = \(missingPort)
            """)
        let dir = server.dir.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("libmrplugin_mysink.so").path,
                                                   withDestinationPath: Build.plugin("testsink"))
        try server.start()
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/d")?.frames ?? 0) > 5 }, server.log)
        XCTAssertNil(connectLoopback(port: missingPort, timeout: 1).map { close($0) }, "[testsink] was loaded from beside the executable")
        XCTAssertTrue(server.log.contains("plugin testsink refused: \(dir.path)/libmrplugin_testsink.so: no such file"), server.log)
        XCTAssertEqual(server.stop(), 0)
    }

    func testSigintAlsoStopsGracefully() throws {
        let server = try ServerProcess(config: "[testsource]\nstreams = [\"live/y\"]\n")
        try server.start()
        XCTAssertTrue(server.waitForLog("plugin testsource 1.0.0 started"), server.log)
        server.signal(SIGINT)
        XCTAssertTrue(waitUntil { !server.process.isRunning })
        XCTAssertEqual(server.process.terminationStatus, 0)
    }
}
