import Foundation
import XCTest

enum CExample {
    /// The header as released in ABI 1.0 (commit 5535ec1), kept verbatim: a plugin built against it is a
    /// real 1.0 binary, with 1.0's struct sizes.
    static let header10 = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/abi-1.0").path
    /// The header as released in ABI 1.3 (commit 642c5ed), the last before keyframe requests (1.4).
    static let header13 = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/abi-1.3").path

    /// Builds examples/debug-shell with the one `cc` line the docs give, against the header alone (the
    /// current one, or `includeDir`'s).
    static func buildDebugShell(includeDir: String? = nil) throws -> String {
        let root = Build.repoRoot.path
        let tag = includeDir.map { "-" + URL(fileURLWithPath: $0).lastPathComponent } ?? ""
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("libmr_debugshell\(tag)-\(getpid()).so").path
        if FileManager.default.fileExists(atPath: out) { return out }
        let (status, output) = try runCommand("/usr/bin/cc", ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                                                       "-I", includeDir ?? root + "/Sources/PluginABI/include", "-o", out,
                                                       root + "/examples/debug-shell/debug_shell.c"])
        XCTAssertEqual(status, 0, output)
        return out
    }
}

/// The third-party plugin in plain C, built with cc and loaded beside the Swift ones.
final class CExampleTests: XCTestCase {
    func testDebugShellListsPluginsStreamsAndReaders() throws {
        try runDebugShell(try CExample.buildDebugShell(), abi: "1.6")
    }

    /// The append-only promise: the same C source built against the released 1.0 header (smaller descriptor
    /// and tables) loads and works on this host.
    func testDebugShellBuiltAgainstTheReleased10HeaderStillWorks() throws {
        try runDebugShell(try CExample.buildDebugShell(includeDir: CExample.header10), abi: "1.0")
    }

    /// And against 1.3's, whose host table ends before the keyframe requests 1.4 appended.
    func testDebugShellBuiltAgainstThe13HeaderStillWorks() throws {
        try runDebugShell(try CExample.buildDebugShell(includeDir: CExample.header13), abi: "1.3")
    }

    private func runDebugShell(_ shell: String, abi: String) throws {
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
        XCTAssertTrue(server.log.contains("plugin debugshell 1.0.0 started (ABI \(abi), mr-abi \(abi); cc)"), server.log)

        let out = try XCTUnwrap(talk(port: shellPort, "help\r\nstreams\r\nreaders live/cam1\r\nplugins\r\nfrobnicate\r\nquit\r\n"))
        XCTAssertTrue(out.contains("\"stream\" : \"cam1\""), out)
        XCTAssertTrue(out.contains("\"codec\" : \"H264\""), out)
        XCTAssertTrue(out.contains("\"protocol\" : \"testsink\""), "readers lists the sink: \(out)")
        XCTAssertTrue(out.contains("\"name\" : \"debugshell\""), out)
        XCTAssertTrue(out.contains("\"build_signature\" : \"mr-abi \(abi); cc\""), out)
        XCTAssertTrue(out.contains("unknown command: frobnicate"), out)
        XCTAssertTrue(out.contains("bye"), out)

        let missing = try XCTUnwrap(talk(port: shellPort, "readers live/nothing\r\nquit\r\n"))
        XCTAssertTrue(missing.contains("not found"), missing)
    }
}
