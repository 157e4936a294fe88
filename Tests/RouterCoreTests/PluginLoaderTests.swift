import Foundation
import Logging
import PluginABI
import XCTest
@testable import RouterCore

/// Builds small C plugins with `cc` against the header and checks each is accepted or refused with its
/// reason.
final class PluginLoaderTests: XCTestCase {
    static let header = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/PluginABI/include").path

    private func build(_ name: String, _ body: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-loader-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = dir.appendingPathComponent("\(name).c")
        let out = dir.appendingPathComponent("lib\(name).so")
        try ("#include <mediarouter_plugin.h>\n#include <string.h>\n" + body).write(to: src, atomically: true, encoding: .utf8)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC", "-Wall", "-I", Self.header, "-o", out.path, src.path]
        try cc.run()
        cc.waitUntilExit()
        XCTAssertEqual(cc.terminationStatus, 0, "cc failed for \(name)")
        return out.path
    }

    private func plugin(major: String = "MR_ABI_MAJOR", minor: String = "MR_ABI_MINOR",
                        size: String = "sizeof(mr_plugin_descriptor)", initBody: String = "return MR_OK;",
                        serves: String = "NULL") -> String {
        """
        static mr_status my_init(mr_host *h, const mr_host_api *api, void **state) {
            (void)h; (void)api; *state = NULL; \(initBody)
        }
        static mr_plugin_descriptor d;
        const mr_plugin_descriptor *mr_plugin_entry_v1(void) {
            memset(&d, 0, sizeof d);
            d.size = \(size); d.abi_major = \(major); d.abi_minor = \(minor);
            d.name = "probe"; d.version = "1"; d.build_signature = "mr-abi test; cc";
            d.init = my_init;
            d.serves = \(serves);
            return &d;
        }
        """
    }

    private func refusal(_ path: String) -> String? {
        do { _ = try PluginLoader.load(path: path); return nil } catch { return error.reason }
    }

    func testGoodPluginLoads() throws {
        let d = try PluginLoader.load(path: build("good", plugin()))
        XCTAssertEqual(d.name, "probe")
        XCTAssertEqual(d.buildSignature, "mr-abi test; cc")
    }

    func testOlderPluginWithShorterDescriptorStillLoads() throws {
        // A plugin built before `status` was appended: its descriptor ends after `destroy`.
        let d = try PluginLoader.load(path: build("older", plugin(size: "offsetof(mr_plugin_descriptor, status)")))
        XCTAssertNil(d.raw.status, "fields past the writer's size read as NULL")
    }

    func testPluginBuiltForAnOlderMinorLoads() throws {
        // ABI 1.0 plugins keep loading on a 1.3 host (the version rule: major equal, plugin minor <= host).
        let d = try PluginLoader.load(path: build("minor0", plugin(minor: "0")))
        XCTAssertEqual(d.abiMinor, 0)
    }

    func testServesDeclarationIsReadAndAMalformedOneRefused() throws {
        // A plain C plugin declares what it serves (ABI 1.3) as a JSON text.
        let json = #"{\"schemas\":[{\"name\":\"srt\",\"readers\":[\"srt\"]}],\"sources\":[{\"protocol\":\"srt\",\"origin_type\":9,\"origin_type_str\":\"srt_push\"}],\"pull\":[{\"scheme\":\"SRT\"}],\"future_member\":1}"#
        let d = try PluginLoader.load(path: build("serves", plugin(serves: "\"\(json)\"")))
        XCTAssertEqual(d.declaration.schemas, [.init(name: "srt", readers: ["srt"])])
        XCTAssertEqual(d.declaration.sources.first?.originType, 9)
        XCTAssertEqual(d.declaration.pull.first?.scheme, "srt", "schemes are compared in lower case")
        XCTAssertTrue(d.declaration.implemented)
        // A 1.2 plugin's descriptor ends before `serves`: it declares nothing, whatever lies past its size.
        let old = try PluginLoader.load(path: build("serves12", plugin(size: "offsetof(mr_plugin_descriptor, serves)",
                                                                       serves: "\"not json at all\"")))
        XCTAssertEqual(old.declaration, .empty)
        for (name, bad, why) in [("badjson", "\"{\"", "not JSON"), ("badarray", #""{\"schemas\":{}}""#, "schemas: expected an array"),
                                 ("badname", #""{\"pull\":[{\"scheme\":\"a b\"}]}""#, "pull: each needs a"),
                                 ("badtype", #""{\"sources\":[{\"protocol\":\"x\",\"origin_type\":1000}]}""#, "out of range")] {
            let reason = refusal(try build(name, plugin(serves: bad))) ?? "accepted"
            XCTAssertTrue(reason.hasPrefix("descriptor's serves declaration is invalid:") && reason.contains(why), "\(name): \(reason)")
        }
    }

    func testWrongMajorIsRefused() throws {
        XCTAssertEqual(refusal(try build("major", plugin(major: "2"))), "ABI major 2 differs from the host's 1")
    }

    func testNewerMinorIsRefused() throws {
        XCTAssertEqual(refusal(try build("minor", plugin(minor: "MR_ABI_MINOR + 1"))),
                       "ABI 1.\(MR_ABI_MINOR + 1) is newer than the host's 1.\(MR_ABI_MINOR)")
    }

    func testShortDescriptorIsRefused() throws {
        let reason = refusal(try build("short", plugin(size: "8")))
        XCTAssertTrue(reason?.hasPrefix("descriptor too short (8 bytes") ?? false, reason ?? "accepted")
    }

    func testMissingEntrySymbolIsRefused() throws {
        let reason = refusal(try build("nosym", "int something_else(void) { return 1; }\n"))
        XCTAssertTrue(reason?.hasPrefix("missing entry symbol mr_plugin_entry_v1") ?? false, reason ?? "accepted")
    }

    func testMissingFileAndNonLibraryAreRefused() throws {
        XCTAssertEqual(refusal("/nonexistent/libx.so"), "no such file")
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(getpid()).so")
        try Data("not an ELF file".utf8).write(to: junk)
        XCTAssertTrue(refusal(junk.path)?.hasPrefix("dlopen failed") ?? false)
    }

    func testInitFailureRefusesThePluginAndOthersStillStart() throws {
        let failing = try build("initfail", plugin(initBody: "return MR_ERR_INVALID;"))
        let good = try build("good2", plugin())
        var settings = ServerSettings()
        settings.threads = 1
        let core = CoreServices(pollers: Pollers(threads: 1), settings: settings, logger: Logger(label: "t"))
        let manager = PluginManager(core: core)
        let doc = try ConfigDocument.parse(text: "[bad]\npath = \"\(failing)\"\n[ok]\npath = \"\(good)\"\n[missing]\n", path: "/tmp/x.conf")
        manager.apply(try ServerConfig.validate(doc, executableDir: "/nonexistent").plugins)
        let states = Dictionary(uniqueKeysWithValues: manager.instances.map { ($0.entry.name, $0.state.text) })
        XCTAssertTrue(states["bad"]?.hasPrefix("refused: init failed (-2)") ?? false, states["bad"] ?? "")
        XCTAssertEqual(states["ok"], "running")
        XCTAssertEqual(states["missing"], "refused: no such file")
        manager.stopAll()
        core.shutdown()
        core.pollers.shutdown()
    }
}
