import Foundation
import RouterCore
@testable import RouterManagement
import XCTest

/// The management core names no protocol: what plugins serve comes from their ABI 1.3 declarations.
final class ProtocolNeutralityTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every string literal of the module's code (comments dropped) that is a plugin's name, or a command
    /// (`rtmp.x`), URL scheme (`rtmp://`) or protocol name (`rtmp-pull`) made from one. Literals inside
    /// longer texts (endpoint descriptions, the OpenAPI text) name protocols for people, not for code.
    func testNoPluginIsNamedInTheManagementCode() throws {
        let plugins = try FileManager.default.contentsOfDirectory(atPath: Self.repo.appendingPathComponent("Plugins").path)
        XCTAssertTrue(plugins.contains("rtmp") && plugins.contains("gb28181"), "\(plugins)")
        let root = Self.repo.appendingPathComponent("Sources/RouterManagement")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 10)
        var found: [String] = []
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for literal in Self.literals(Self.code(String(line))) {
                    let lower = literal.lowercased()
                    if plugins.contains(where: { lower == $0 || lower.hasPrefix("\($0).") || lower.hasPrefix("\($0)://") || lower.hasPrefix("\($0)-") }) {
                        found.append("\(file):\(n + 1): \"\(literal)\"")
                    }
                }
            }
        }
        XCTAssertEqual(found, [], "plugin names in the management core; declare them in the plugin instead")
    }

    /// The check finds what it looks for (a test that could not fail would prove nothing).
    func testTheCheckSeesANameWhenThereIsOne() {
        XCTAssertEqual(Self.literals(Self.code(#"let p = ["rtmp", "x"] // "hls""#)), ["rtmp", "x"])
        XCTAssertEqual(Self.literals(Self.code(#"  /// "rtsp" in a doc comment"#)), [])
        XCTAssertEqual(Self.literals(Self.code(#"f("a \"q\" b", "c")"#)), [#"a \"q\" b"#, "c"])
    }

    /// The line without its `//` comment (outside string literals).
    static func code(_ line: String) -> String {
        var out = ""
        var inString = false
        var escaped = false
        var previous: Character = " "
        for c in line {
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "/" && previous == "/" {
                out.removeLast()
                return out
            }
            out.append(c)
            previous = c
        }
        return out
    }

    /// The string literals of one line of code (escapes kept as written).
    static func literals(_ code: String) -> [String] {
        var out: [String] = []
        var current: String?
        var escaped = false
        for c in code {
            if var s = current {
                if escaped { escaped = false; s.append(c); current = s; continue }
                if c == "\\" { escaped = true; s.append(c); current = s; continue }
                if c == "\"" { out.append(s); current = nil; continue }
                s.append(c)
                current = s
            } else if c == "\"" {
                current = ""
            }
        }
        return out
    }

    func testDeclarationsMergeIntoTheApisTables() throws {
        let served = ServedProtocols([
            ("a", try PluginDeclaration(json: #"{"schemas": [{"name": "rtmp", "readers": ["rtmp"]}], "pull": [{"scheme": "rtmp"}], "push": [{"scheme": "rtmp"}],"# +
                #""sources": [{"protocol": "rtmp-pull", "schema": "rtmp", "origin_type": 4, "origin_type_str": "pull"}]}"#)),
            ("b", try PluginDeclaration(json: #"{"schemas": [{"name": "rtmp", "readers": ["http-flv"]}, {"name": "ts", "readers": ["http-ts"]}],"# +
                #""pull": [{"scheme": "http", "path_suffixes": [".flv", ".ts"]}], "config_aliases": [{"name": "http.port", "key": "port", "default": "80"}]}"#)),
            ("c", try PluginDeclaration(json: #"{"pull": [{"scheme": "http", "path_suffixes": [".m3u8"]}]}"#)),
        ])
        XCTAssertEqual(served.schemaNames, ["rtmp", "ts"])
        XCTAssertEqual(served.schema(ofReader: "http-flv"), "rtmp")
        XCTAssertNil(served.schema(ofReader: "mp4-record"))
        XCTAssertEqual(served.hookSchema("rtmp-pull"), "rtmp")
        XCTAssertEqual(served.hookSchema("unheard-of"), "unheard-of")
        XCTAssertEqual(served.origin("rtmp-pull").type, 4)
        XCTAssertEqual(served.origin("unheard-of").name, "unknown")
        XCTAssertEqual(try served.pullPlugin("RTMP://h/a/b").get(), "a")
        XCTAssertEqual(try served.pullPlugin("http://h/a/b.live.flv?x=1").get(), "b")
        XCTAssertThrowsError(try served.pullPlugin("https://h/x.m3u8").get(), "c declares http only")
        XCTAssertEqual(try served.pullPlugin("http://h/x.m3u8#f").get(), "c")
        XCTAssertThrowsError(try served.pullPlugin("http://h/x.mp4").get())
        XCTAssertThrowsError(try served.pushPlugin("http://h/x.flv").get())
        XCTAssertEqual(served.pullPlugins, ["a", "b", "c"])
        XCTAssertEqual(served.pushPlugins, ["a"])
        XCTAssertEqual(served.configAliases["http.port"]?.plugin, "b")
    }

    func testZlmValueFormsBecomeTomlValuesOfTheKeysType() {
        func n(_ v: String, _ t: String) -> String? { try? ServerConfigKeys.normalized(v, type: t).get() }
        XCTAssertEqual(n("1", "boolean"), "true")
        XCTAssertEqual(n("0", "boolean"), "false")
        XCTAssertEqual(n("yes", "boolean"), "true")
        XCTAssertNil(n("2", "boolean"))
        XCTAssertEqual(n("10", "integer"), "10")
        XCTAssertEqual(n("10.0", "integer"), "10")
        XCTAssertNil(n("10.5", "integer"))
        XCTAssertNil(n("1e300", "integer"))
        XCTAssertEqual(n("30", "float"), "30.0")
        XCTAssertEqual(n("2.5", "float"), "2.5")
        XCTAssertNil(n("nan", "float"))
        XCTAssertEqual(n("0", "string"), "0")
    }
}
