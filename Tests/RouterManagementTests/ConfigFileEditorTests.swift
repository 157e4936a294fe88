@testable import RouterManagement
import XCTest

/// In-place edits of plugins.conf text (setServerConfig): layout and comments kept, values typed like the
/// ones they replace, and no edit able to add a key or a table.
final class ConfigFileEditorTests: XCTestCase {
    let text = """
        # MediaRouter
        [server]
        play_wait_ms = 3000            # a player may wait
        log_level = "info"

        [rtmp]
        enabled = true
        pull = ["a/b=rtmp://x/y"]

        [hls]
        """

    func testExistingValuesKeepTheirTypeAndTheFileItsLayout() throws {
        let a = try ConfigFileEditor.set(text, name: "server.play_wait_ms", value: "700")
        XCTAssertEqual(a, text.replacingOccurrences(of: "play_wait_ms = 3000            # a player may wait", with: "play_wait_ms = 700"))
        let b = try ConfigFileEditor.set(text, name: "server.log_level", value: "debug")
        XCTAssertTrue(b.contains("log_level = \"debug\"\n"))
        let c = try ConfigFileEditor.set(text, name: "rtmp.enabled", value: "0")
        XCTAssertTrue(c.contains("enabled = false"), "1/0 for a boolean")
        let d = try ConfigFileEditor.set(text, name: "rtmp.pull", value: "c/d=rtmp://h/s, e/f=rtsp://h/t")
        XCTAssertTrue(d.contains("pull = [\"c/d=rtmp://h/s\", \"e/f=rtsp://h/t\"]"), d)
        XCTAssertTrue(d.hasPrefix("# MediaRouter\n[server]\nplay_wait_ms = 3000            # a player may wait"))
    }

    func testNewKeysGoToTheirTableAndNewTablesToTheEnd() throws {
        let a = try ConfigFileEditor.set(text, name: "rtmp.port", value: "1936")
        XCTAssertTrue(a.contains("pull = [\"a/b=rtmp://x/y\"]\nport = 1936\n\n[hls]"), a)
        let b = try ConfigFileEditor.set(text, name: "hls.window", value: "7")
        XCTAssertTrue(b.hasSuffix("[hls]\nwindow = 7"), b)
        let c = try ConfigFileEditor.set(text, name: "api.secret", value: "x\"y")
        XCTAssertTrue(c.hasSuffix("\n[api]\nsecret = \"x\\\"y\"\n"), c)
    }

    func testValuesCannotAddKeysOrTables() {
        for bad in ["[]\n[evil]\npath=\"/tmp/e.so\"", "1\r\nx = 2", "a\u{7F}"] {
            XCTAssertThrowsError(try ConfigFileEditor.set(text, name: "rtmp.pull", value: bad), bad.debugDescription)
        }
        for name in ["rtmp", "rtmp.", ".x", "a.b c", "a]\n[b.c"] {
            XCTAssertThrowsError(try ConfigFileEditor.set(text, name: name, value: "1"), name)
        }
        // Quotes in a list item are escaped, not closing the string.
        XCTAssertTrue((try? ConfigFileEditor.set(text, name: "rtmp.pull", value: "a\"] , b"))?.contains("pull = [\"a\\\"]\", \"b\"]") == true)
    }
}
