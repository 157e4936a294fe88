import XCTest
@testable import RtspProtocol

final class RtspHeaderValueTests: XCTestCase {
    func testRange() {
        XCTAssertEqual(RtspRange(parsing: "npt=10.5-"), RtspRange(start: .seconds(10.5)))
        XCTAssertEqual(RtspRange(parsing: "npt=now-"), RtspRange(start: .now))
        XCTAssertEqual(RtspRange(parsing: "NPT = 0-20"), RtspRange(start: .seconds(0), end: 20))
        XCTAssertEqual(RtspRange(parsing: "npt=0.000-"), RtspRange(start: .seconds(0)))
        XCTAssertEqual(RtspRange(parsing: "npt=-20"), RtspRange(start: nil, end: 20))
        XCTAssertEqual(RtspRange(parsing: "npt=01:02:03.5-1:02:04"), RtspRange(start: .seconds(3723.5), end: 3724))
        XCTAssertEqual(RtspRange(parsing: "npt=5-;time=19970123T143720Z"), RtspRange(start: .seconds(5)))
        for bad in ["", "npt=", "npt=-", "npt=abc-", "npt=10", "npt=20-10", "npt=1:2-", "npt=00:60:00-", "npt=-5-",
                    "npt=1e5-", "npt=nan-", "clock=19961108T143720.25Z-", "smpte=10:07:00-10:07:33:05.01", "npt=99999999999-",
                    "npt=1..2-", "npt=.5-"] {
            XCTAssertNil(RtspRange(parsing: bad), bad)
        }
        XCTAssertEqual(RtspRange(start: .now).format(), "npt=now-")
        XCTAssertEqual(RtspRange(start: .seconds(10.5)).format(), "npt=10.500-")
        XCTAssertEqual(RtspRange(start: .seconds(0), end: 20).format(), "npt=0.000-20.000")
        XCTAssertEqual(RtspRange(start: .seconds(1.0005)).format(), "npt=1.001-")
    }

    func testSession() {
        XCTAssertEqual(RtspSessionHeader(parsing: "12345678;timeout=60"), RtspSessionHeader(id: "12345678", timeout: 60))
        XCTAssertEqual(RtspSessionHeader(parsing: "75Gu_qXBhvm2RO2p"), RtspSessionHeader(id: "75Gu_qXBhvm2RO2p"))
        XCTAssertEqual(RtspSessionHeader(parsing: "cde5NZafCnUgNK-."), RtspSessionHeader(id: "cde5NZafCnUgNK-."))
        XCTAssertEqual(RtspSessionHeader(parsing: " abc ; Timeout = 30 "), RtspSessionHeader(id: "abc", timeout: 30))
        XCTAssertEqual(RtspSessionHeader(parsing: "abc;timeout=x"), RtspSessionHeader(id: "abc"))
        for bad in ["", ";timeout=60", "a b", "id\r\nX: y", String(repeating: "a", count: 300), "ab/c"] {
            XCTAssertNil(RtspSessionHeader(parsing: bad), bad.debugDescription)
        }
        XCTAssertEqual(RtspSessionHeader(id: "12345678", timeout: 60).format(), "12345678;timeout=60")
        XCTAssertEqual(RtspSessionHeader(id: "12345678").format(), "12345678")
        let id = RtspSessionHeader.makeId()
        XCTAssertEqual(id.count, 16)
        XCTAssertNotEqual(id, RtspSessionHeader.makeId())
    }

    func testRtpInfo() {
        let captured = "url=rtsp://127.0.0.1:18575/live/cam/stream=0;seq=917;rtptime=1099302233, url=rtsp://127.0.0.1:18575/live/cam/stream=1;seq=15680;rtptime=3772384044"
        let list = RtspRtpInfo.parseList(captured)
        XCTAssertEqual(list, [RtspRtpInfo(url: "rtsp://127.0.0.1:18575/live/cam/stream=0", seq: 917, rtptime: 1099302233),
                              RtspRtpInfo(url: "rtsp://127.0.0.1:18575/live/cam/stream=1", seq: 15680, rtptime: 3772384044)])
        XCTAssertEqual(RtspRtpInfo.formatList(list), captured.replacingOccurrences(of: ", ", with: ","))
        XCTAssertEqual(RtspRtpInfo.parseList("url=rtsp://h/a,b;seq=1"), [RtspRtpInfo(url: "rtsp://h/a,b", seq: 1)])
        XCTAssertEqual(RtspRtpInfo.parseList("seq=70000;rtptime=-1;url=x"), [RtspRtpInfo(url: "x")])
        XCTAssertEqual(RtspRtpInfo.parseList("garbage"), [])
    }
}
