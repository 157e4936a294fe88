import XCTest
@testable import HlsFormats

/// RFC 3986 5.4 examples, with a playlist URL as the base.
final class M3u8URITests: XCTestCase {
    private let base = "http://a/b/c/d;p?q"

    private func r(_ ref: String) -> String? { M3u8URI.resolve(ref, against: base) }

    func testNormalExamplesOfRfc3986() {
        XCTAssertEqual(r("g:h"), "g:h")
        XCTAssertEqual(r("g"), "http://a/b/c/g")
        XCTAssertEqual(r("./g"), "http://a/b/c/g")
        XCTAssertEqual(r("g/"), "http://a/b/c/g/")
        XCTAssertEqual(r("/g"), "http://a/g")
        XCTAssertEqual(r("//g"), "http://g")
        XCTAssertEqual(r("?y"), "http://a/b/c/d;p?y")
        XCTAssertEqual(r("g?y"), "http://a/b/c/g?y")
        XCTAssertEqual(r("#s"), "http://a/b/c/d;p?q")
        XCTAssertEqual(r("g#s"), "http://a/b/c/g")
        XCTAssertEqual(r(""), "http://a/b/c/d;p?q")
        XCTAssertEqual(r("."), "http://a/b/c/")
        XCTAssertEqual(r("./"), "http://a/b/c/")
        XCTAssertEqual(r(".."), "http://a/b/")
        XCTAssertEqual(r("../g"), "http://a/b/g")
        XCTAssertEqual(r("../.."), "http://a/")
        XCTAssertEqual(r("../../g"), "http://a/g")
    }

    func testAbnormalExamplesStayInsideTheRoot() {
        XCTAssertEqual(r("../../../g"), "http://a/g")
        XCTAssertEqual(r("/./g"), "http://a/g")
        XCTAssertEqual(r("/../g"), "http://a/g")
        XCTAssertEqual(r("g.."), "http://a/b/c/g..")
        XCTAssertEqual(r("./../g"), "http://a/b/g")
        XCTAssertEqual(r("g/./h"), "http://a/b/c/g/h")
        XCTAssertEqual(r("g/../h"), "http://a/b/c/h")
    }

    func testBaseWithoutPathAndRelativeBase() {
        XCTAssertEqual(M3u8URI.resolve("seg.ts", against: "http://h:8000"), "http://h:8000/seg.ts")
        XCTAssertEqual(M3u8URI.resolve("seg.ts", against: "http://h:8000/live/index.m3u8?token=x"), "http://h:8000/live/seg.ts")
        XCTAssertNil(M3u8URI.resolve("seg.ts", against: "live/index.m3u8"))
    }
}
