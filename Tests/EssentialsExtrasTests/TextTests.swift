import EssentialsExtras
import Foundation
import XCTest

/// Trimming, percent coding and path arithmetic replaced Foundation's: Foundation stays the reference here.
final class TextTests: XCTestCase {
    private let samples = ["", " ", "  a b \t", "\u{3000}x\u{a0}", "\n a \r\n", "\u{85}z\u{2029}", "abc", "\t\n", " é "]

    func testTrimsAsFoundation() {
        for s in samples {
            XCTAssertEqual(s.trimmingSpaces(), s.trimmingCharacters(in: .whitespaces), s.debugDescription)
            XCTAssertEqual(s.trimmingSpacesAndNewlines(), s.trimmingCharacters(in: .whitespacesAndNewlines), s.debugDescription)
            XCTAssertEqual(s.trimming(in: "[] "), s.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")), s.debugDescription)
        }
        XCTAssertEqual("[::1]".trimming(in: "[]"), "::1")
    }

    func testPercentCodingAsFoundation() {
        for s in ["a%20b", "%E4%BD%A0", "%zz", "%4", "100%", "a+b", "%ff", "plain", "%2F%2f"] {
            XCTAssertEqual(s.percentDecoded, s.removingPercentEncoding, s)
        }
        for s in ["a b", "你好/x?y#z", "a&b=c;d", "~-._", "%", "[x]"] {
            XCTAssertEqual(s.percentEncoded(allowing: .urlPath), s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed), s)
        }
    }

    func testPathsAsNSString() {
        for p in ["/tmp/scratch.tiff", "/tmp/lock/", "/tmp/", "/tmp", "/", "scratch.tiff", "", "a/b", "a/b//", ".bashrc", "/x/.hidden",
                  "file.", "a.b/c", "/scratch..tiff", "dir.d/file"] {
            let ns = p as NSString
            XCTAssertEqual(PathText.deletingLastComponent(p), ns.deletingLastPathComponent, "deleting \(p)")
            XCTAssertEqual(PathText.lastComponent(p), ns.lastPathComponent, "last \(p)")
            XCTAssertEqual(PathText.pathExtension(p), ns.pathExtension, "extension \(p)")
        }
    }
}

extension TextTests {
    func testAlphanumericAsCharacterSet() {
        for s in "aZ09_-é中٣Ⅻ½\u{301} .!😀".unicodeScalars {
            XCTAssertEqual(s.isAlphanumeric, CharacterSet.alphanumerics.contains(s), "\(s.value)")
        }
    }

    func testReplacesScalarsAsFoundation() {
        for s in ["a&b<c>\"d", "\\\\\"", ""] {
            XCTAssertEqual(s.replacingScalars(["&": "&amp;", "\"": "&quot;", "\\": "\\\\"]),
                           s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\\", with: "\\\\")
                            .replacingOccurrences(of: "\"", with: "&quot;"), s)
        }
        // Foundation left a quote that a combining mark follows; in HTML or TOML that ends the string.
        XCTAssertEqual("\"\u{301}x".replacingScalars(["\"": "&quot;"]), "&quot;\u{301}x")
    }
}

extension TextTests {
    func testZeroPaddedAsStringFormat() {
        for v in [0, 7, 42, 2026, 123_456, -5] {
            XCTAssertEqual(v.zeroPadded(4), String(format: "%04d", v))
            XCTAssertEqual(v.zeroPadded(2), String(format: "%02d", v))
        }
        for v: UInt32 in [0, 0xAB, 0xDEADBEEF] { XCTAssertEqual(v.zeroPadded(8, radix: 16, uppercase: true), String(format: "%08X", v)) }
    }

    func testReadsProcFilesToTheEnd() throws {
        let maps = try XCTUnwrap(FileBytes.read("/proc/self/maps"))
        XCTAssertGreaterThan(maps.count, 4096)
        XCTAssertEqual(FileBytes.read("/proc/self/maps", limit: 10)?.count, 10)
        XCTAssertNil(FileBytes.read("/nonexistent/file"))
    }
}
