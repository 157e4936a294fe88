import XCTest
@testable import RouterCore

/// A hot reload parses the config file two or three times (validation, the reload, the file watcher's own
/// reload), and the hour soak toggles a plugin every 30 s: whatever a parse keeps allocated grows for as long
/// as the server runs. TOMLKit never frees the toml++ tree it parses, so the heap in use grew by the size of
/// the whole parsed file on every parse (about 5 KB for the soak's config, 23 KB for this one).
final class ConfigParseHeapTests: XCTestCase {
    /// The soak's config with a few more tables, the size of a real plugins.conf.
    private static let text: String = {
        var t = """
        [server]
        log_level = "info"
        threads = 2
        play_wait_ms = 3000
        reconnect_window_ms = 3000
        none_reader_ms = 5000
        [api]
        secret = "a-secret-long-enough-to-count"
        [hook]
        enable = false
        on_publish = "http://127.0.0.1:9/index/hook/on_publish"

        """
        for (i, name) in ["rtmp", "rtsp", "httpmux", "hls", "mp4", "webrtc", "srt", "gb28181"].enumerated() {
            t += """
            [\(name)]
            enabled = true
            port = \(20000 + i)
            bind = "0.0.0.0"
            record_root = "/var/lib/mediarouter/record/\(name)"
            candidates = ["127.0.0.1", "192.168.1.10"]
            max_connections = 1000
            ratio = 1.5

            """
        }
        return t
    }()

    func testRepeatedParsesLeaveTheHeapWhereItWas() throws {
        // The first parses fill one-time caches (Swift metadata, the locator's first use).
        for _ in 0..<5 { _ = try ConfigDocument.parse(text: Self.text, path: "/etc/mr/plugins.conf") }
        let parses = 400
        let before = HeapFigures.snapshot()["HeapInUseBytes"] ?? 0
        for _ in 0..<parses { _ = try ConfigDocument.parse(text: Self.text, path: "/etc/mr/plugins.conf") }
        let after = HeapFigures.snapshot()["HeapInUseBytes"] ?? 0
        let perParse = (after - before) / parses
        // Measured on this text: 22,832 B a parse through TOMLKit's Swift types, 5,969 B with the tree emptied
        // but TOMLKit's key lists and scalar copies kept, 119 B now (the empty root toml++ cannot delete).
        XCTAssertLessThan(perParse, 512, "heap in use grew \(after - before) bytes over \(parses) parses")
    }
}
