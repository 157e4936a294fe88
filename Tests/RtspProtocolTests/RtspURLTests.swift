import XCTest
@testable import RtspProtocol

final class RtspURLTests: XCTestCase {
    func testParsing() throws {
        let u = try XCTUnwrap(RtspURL("rtsp://alice:s3cr%40t@127.0.0.1:18557/live/audio"))
        XCTAssertEqual(u.scheme, "rtsp")
        XCTAssertEqual(u.user, "alice")
        XCTAssertEqual(u.password, "s3cr@t")
        XCTAssertEqual(u.host, "127.0.0.1")
        XCTAssertEqual(u.port, 18557)
        XCTAssertEqual(u.path, "/live/audio")
        XCTAssertNil(u.query)
        XCTAssertEqual(u.string, "rtsp://127.0.0.1:18557/live/audio")

        let d = try XCTUnwrap(RtspURL("RTSPS://Cam.example.com/live/a?token=x%20y"))
        XCTAssertEqual(d.scheme, "rtsps")
        XCTAssertEqual(d.port, 322)
        XCTAssertFalse(d.hasExplicitPort)
        XCTAssertTrue(d.isSecure)
        XCTAssertEqual(d.query, "token=x%20y")
        XCTAssertEqual(RtspURL("rtsp://h")?.port, 554)
        XCTAssertEqual(RtspURL("rtsp://h")?.path, "")

        let v6 = try XCTUnwrap(RtspURL("rtsp://erin:Circle%20Of%20Life@[::1]:8554/live/a"))
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 8554)
        XCTAssertEqual(v6.password, "Circle Of Life")
        XCTAssertEqual(v6.authority, "[::1]:8554")
        XCTAssertEqual(RtspURL("rtsp://[fe80::1%25eth0]/x")?.host, "fe80::1%25eth0")
        XCTAssertEqual(RtspURL("rtsp://user@h/x")?.user, "user")
        XCTAssertNil(RtspURL("rtsp://user@h/x")?.password)
        XCTAssertEqual(RtspURL("rtsp://dave:op%3Aen@127.0.0.1:18566/live/a")?.password, "op:en")
    }

    func testRejects() {
        for s in ["", "http://h/x", "rtsp://", "rtsp://h:0/", "rtsp://h:65536/", "rtsp://h:12ab/", "rtsp://[::1/x", "rtsp://[::1]x/",
                  "rtsp://h o/x", "rtsp://u:%zz@h/", "rtsp://h\r\n/x", "rtsp://[]/", "rtsp://a@/x", "rtsp://ho$t/",
                  "rtsp://h/" + String(repeating: "a", count: 5000)] {
            XCTAssertNil(RtspURL(s), s.debugDescription)
        }
    }

    func testAppAndStream() throws {
        XCTAssertTrue(RtspURL("rtsp://h/live/a")?.appAndStream().map { $0 == ("live", "a") } ?? false)
        XCTAssertTrue(RtspURL("rtsp://h/live/a/trackID=1")?.appAndStream(dropTrackControl: true).map { $0 == ("live", "a") } ?? false)
        XCTAssertTrue(RtspURL("rtsp://h/live/a/trackID=1")?.appAndStream().map { $0 == ("live", "a/trackID=1") } ?? false)
        XCTAssertTrue(RtspURL("rtsp://h/live/cam/1/streamid=0")?.appAndStream(dropTrackControl: true).map { $0 == ("live", "cam/1") } ?? false)
        XCTAssertTrue(RtspURL("rtsp://h/live/gst/stream=1")?.appAndStream(dropTrackControl: true).map { $0 == ("live", "gst") } ?? false)
        XCTAssertTrue(RtspURL("rtsp://h/live/my%20cam/")?.appAndStream().map { $0 == ("live", "my cam") } ?? false)
        XCTAssertNil(RtspURL("rtsp://h/live")?.appAndStream())
        XCTAssertNil(RtspURL("rtsp://h/live/trackID=0")?.appAndStream(dropTrackControl: true))

        let q = try XCTUnwrap(RtspURL("rtsp://h/live/a?key=x/trackID=0"))
        XCTAssertTrue(q.appAndStream(dropTrackControl: true).map { $0 == ("live", "a") } ?? false)
        XCTAssertEqual(q.queryWithoutTrackControl, "key=x")
        XCTAssertEqual(q.trackControl, "trackID=0")
        XCTAssertEqual(RtspURL("rtsp://h/live/a/streamid=3")?.trackControl, "streamid=3")
        XCTAssertNil(RtspURL("rtsp://h/live/a")?.trackControl)
    }

    func testTrackIndex() {
        XCTAssertEqual(RtspURL.trackIndex(control: "trackID=1"), 1)
        XCTAssertEqual(RtspURL.trackIndex(control: "streamid=0"), 0)
        XCTAssertEqual(RtspURL.trackIndex(control: "stream=12"), 12)
        XCTAssertEqual(RtspURL.trackIndex(control: "track2"), 2)
        XCTAssertNil(RtspURL.trackIndex(control: "trackID=x"))
        XCTAssertNil(RtspURL.trackIndex(control: "live"))
        XCTAssertNil(RtspURL.trackIndex(control: "trackID=99999999999"))
    }

    func testResolveControl() {
        let base = "rtsp://127.0.0.1:18563/live/a/"
        XCTAssertEqual(RtspURL.resolve(control: "trackID=0", base: base), "rtsp://127.0.0.1:18563/live/a/trackID=0")
        XCTAssertEqual(RtspURL.resolve(control: "trackID=0", base: "rtsp://h/live/a"), "rtsp://h/live/a/trackID=0")
        XCTAssertEqual(RtspURL.resolve(control: "*", base: base), base)
        XCTAssertEqual(RtspURL.resolve(control: "", base: base), base)
        XCTAssertEqual(RtspURL.resolve(control: "rtsp://other:554/x/track1", base: base), "rtsp://other:554/x/track1")
        XCTAssertEqual(RtspURL.resolve(control: "RTSP://other/x", base: base), "RTSP://other/x")
        XCTAssertEqual(RtspURL.resolve(control: "/abs/track1", base: "rtsp://[::1]:8554/live/a"), "rtsp://[::1]:8554/abs/track1")
    }
}
