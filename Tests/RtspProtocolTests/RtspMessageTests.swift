import XCTest
@testable import RtspProtocol

final class RtspMessageTests: XCTestCase {
    func testResponseSerialization() {
        let body = Array("v=0\r\n".utf8)
        let m = RtspMessage.response(status: 200, cseq: 2, headers: [("Content-Type", "application/sdp"), ("Content-Length", "999")], body: body)
        XCTAssertEqual(String(decoding: m.serialize(), as: UTF8.self),
                       "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n")
        XCTAssertEqual(String(decoding: RtspMessage.response(status: 454, cseq: nil).serialize(), as: UTF8.self),
                       "RTSP/1.0 454 Session Not Found\r\n\r\n")
        XCTAssertEqual(String(decoding: RtspMessage.response(status: 461, reason: "Nope", cseq: 3).serialize(), as: UTF8.self),
                       "RTSP/1.0 461 Nope\r\nCSeq: 3\r\n\r\n")
    }

    func testReasonPhrases() {
        let expected = [200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                        451: "Parameter Not Understood", 453: "Not Enough Bandwidth", 454: "Session Not Found",
                        455: "Method Not Valid in This State", 457: "Invalid Range", 459: "Aggregate Operation Not Allowed",
                        461: "Unsupported Transport", 500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
                        505: "RTSP Version Not Supported"]
        for (code, phrase) in expected { XCTAssertEqual(RtspStatus.reasonPhrase(code), phrase) }
    }

    func testHeaderInjectionIsNeutralised() throws {
        let m = RtspMessage.response(status: 200, cseq: 1, headers: [("Session", "abc\r\nX-Evil: 1")])
        let parsed = try messages(String(decoding: m.serialize(), as: UTF8.self).replacingOccurrences(of: "RTSP/1.0 200 OK", with: "PLAY rtsp://h RTSP/1.0"))
        XCTAssertNil(parsed[0].header("X-Evil"))
        XCTAssertEqual(parsed[0].header("Session"), "abc  X-Evil: 1")
    }

    func testRequestRoundTrip() throws {
        var m = RtspMessage.request(method: "ANNOUNCE", uri: "rtsp://h/live/a", cseq: 7, headers: [("Content-Type", "application/sdp")],
                                    body: Array(RtspVectors.playSDP.utf8))
        m[header: "session"] = "abc"
        m[header: "Session"] = "def"
        XCTAssertEqual(m.headerValues("SESSION"), ["def"])
        let back = try messages(String(decoding: m.serialize(), as: UTF8.self))
        XCTAssertEqual(back.count, 1)
        XCTAssertEqual(back[0].kind, .request(method: "ANNOUNCE", uri: "rtsp://h/live/a"))
        XCTAssertEqual(back[0].cseq, 7)
        XCTAssertEqual(back[0].body, m.body)
        XCTAssertEqual(back[0].header("session"), "def")
        m[header: "Session"] = nil
        XCTAssertNil(m.header("Session"))
        m.headers += [("X", "1"), ("x", "2"), ("Y", "3")]
        m[header: "X"] = "9"
        XCTAssertEqual(m.headers.map(\.name), ["CSeq", "Content-Type", "X", "Y"])
        XCTAssertEqual(m.header("x"), "9")
    }

    func testCSeqEdgeCases() throws {
        XCTAssertNil(try messages("OPTIONS * RTSP/1.0\r\nCSeq: abc\r\n\r\n")[0].cseq)
        XCTAssertNil(try messages("OPTIONS * RTSP/1.0\r\nCSeq: -1\r\n\r\n")[0].cseq)
        XCTAssertEqual(try messages("OPTIONS * RTSP/1.0\r\ncseq:   42  \r\n\r\n")[0].cseq, 42)
    }
}
