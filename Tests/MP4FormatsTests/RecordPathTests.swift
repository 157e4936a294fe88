import MP4Formats
import XCTest

/// Recording paths: the template's placeholders, and names from clients kept inside the root.
final class RecordPathTests: XCTestCase {
    private func expand(_ template: String, root: String = "/rec", vhost: String = "", app: String = "live", stream: String = "cam",
                        epoch: Int = 1_700_000_000, seq: Int = 3) -> String {
        RecordPath.expand(template, root: root, vhost: vhost, app: app, stream: stream, epochSeconds: epoch, sequence: seq)
    }

    func testPlaceholdersThatDoNotDependOnTheTimeZone() {
        XCTAssertEqual(expand("{vhost}/{app}/{stream}-{epoch}-{seq}.mp4"), "/rec/__defaultVhost__/live/cam-1700000000-3.mp4")
        XCTAssertEqual(expand("{vhost}.mp4", vhost: "v1"), "/rec/v1.mp4")
    }

    func testDateAndTimeAreZeroPaddedLocalTime() {
        let path = expand(RecordPath.defaultTemplate)
        let parts = path.split(separator: "/").map(String.init)
        XCTAssertEqual(Array(parts.prefix(3)), ["rec", "live", "cam"])
        XCTAssertEqual(parts.count, 5)
        let date = parts[3].split(separator: "-"), time = parts[4].dropLast(4).split(separator: "-")
        XCTAssertEqual(date.map(\.count), [4, 2, 2], parts[3])
        XCTAssertEqual(time.map(\.count), [2, 2, 2], parts[4])
        XCTAssertTrue(parts[4].hasSuffix(".mp4"))
        XCTAssertTrue(["2023-11-14", "2023-11-15"].contains(parts[3]), "1700000000 is 2023-11-14 22:13:20 UTC")
    }

    func testClientNamesCannotClimbOutOfTheRoot() {
        XCTAssertEqual(expand("{app}/{stream}.mp4", app: "../../etc", stream: "passwd"), "/rec/_/_/etc/passwd.mp4")
        XCTAssertEqual(expand("{app}/../{stream}.mp4"), "/rec/live/_/cam.mp4", "a template's own .. is replaced too")
        XCTAssertEqual(expand("{stream}.mp4", stream: "a\\b\u{1}c"), "/rec/a_b_c.mp4")
    }

    func testUnknownPlaceholdersAndUnclosedBracesStay() {
        XCTAssertEqual(expand("{nope}/{stream"), "/rec/{nope}/{stream")
    }

    func testRootHandling() {
        XCTAssertEqual(expand("{stream}.mp4", root: "/rec/"), "/rec/cam.mp4", "one slash between root and path")
        XCTAssertEqual(expand("{stream}.mp4", root: ""), "cam.mp4")
        XCTAssertEqual(expand("//{stream}//x.mp4"), "/rec/cam/x.mp4", "empty parts are dropped")
    }

    func testSafe() {
        XCTAssertEqual(RecordPath.safe(""), "_")
        XCTAssertEqual(RecordPath.safe("."), "_")
        XCTAssertEqual(RecordPath.safe(".."), "_")
        XCTAssertEqual(RecordPath.safe("a/../b"), "a/_/b")
        XCTAssertEqual(RecordPath.safe("/abs/path/"), "abs/path")
        XCTAssertEqual(RecordPath.safe("ok name.mp4"), "ok name.mp4")
    }
}
