import Foundation
import XCTest

enum CExample {
    /// Builds examples/debug-shell with the one `cc` line the docs give, against the header alone.
    static func buildDebugShell() throws -> String {
        let root = Build.repoRoot.path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("libmr_debugshell-\(getpid()).so").path
        if FileManager.default.fileExists(atPath: out) { return out }
        let (status, output) = try runCommand("/usr/bin/cc", ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                                                       "-I", root + "/Sources/PluginABI/include", "-o", out,
                                                       root + "/examples/debug-shell/debug_shell.c"])
        XCTAssertEqual(status, 0, output)
        return out
    }
}

/// The third-party plugin in plain C, built with cc and loaded beside the Swift ones.
final class CExampleTests: XCTestCase {
    func testDebugShellListsPluginsStreamsAndReaders() throws {
        let shell = try CExample.buildDebugShell()
        let shellPort = freePort()
        let sinkPort = freePort()
        let server = try ServerProcess(config: """
            [server]
            play_wait_ms = 500
            [testsource]
            streams = ["live/cam1"]
            [testsink]
            streams = ["live/cam1"]
            port = \(sinkPort)
            [debugshell]
            path = "\(shell)"
            port = \(shellPort)
            """)
        try server.start()
        defer { XCTAssertEqual(server.stop(), 0, server.log) }
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sinkPort, stream: "live/cam1")?.frames ?? 0) > 5 }, server.log)
        XCTAssertTrue(server.log.contains("plugin debugshell 1.0.0 started (ABI 1.3, mr-abi 1.3; cc)"), server.log)

        let out = try XCTUnwrap(talk(port: shellPort, "help\r\nstreams\r\nreaders live/cam1\r\nplugins\r\nfrobnicate\r\nquit\r\n"))
        XCTAssertTrue(out.contains("\"stream\" : \"cam1\""), out)
        XCTAssertTrue(out.contains("\"codec\" : \"H264\""), out)
        XCTAssertTrue(out.contains("\"protocol\" : \"testsink\""), "readers lists the sink: \(out)")
        XCTAssertTrue(out.contains("\"name\" : \"debugshell\""), out)
        XCTAssertTrue(out.contains("\"build_signature\" : \"mr-abi 1.3; cc\""), out)
        XCTAssertTrue(out.contains("unknown command: frobnicate"), out)
        XCTAssertTrue(out.contains("bye"), out)

        let missing = try XCTUnwrap(talk(port: shellPort, "readers live/nothing\r\nquit\r\n"))
        XCTAssertTrue(missing.contains("not found"), missing)
    }
}
