import XCTest
@testable import RtmpProtocol

final class RtmpHandshakeTests: XCTestCase {
    func testSimpleHandshakeEchoesC1() throws {
        let c1 = [UInt8](repeating: 0, count: 8) + (0..<1528).map { UInt8($0 & 0xFF) }
        guard case .reply(let r) = RtmpHandshake.respond(toC0C1: ([3] + c1)[...], now: 1234) else { return XCTFail("no reply") }
        XCTAssertEqual(r.count, 1 + 1536 * 2)
        XCTAssertEqual(r[0], 3)
        XCTAssertEqual(Array(r[1..<5]), [0, 0, 0x04, 0xD2], "S1 time")
        XCTAssertEqual(Array(r[(1 + 1536)...]), c1, "S2 echoes C1")
    }

    func testDigestHandshakeAnswersWithAVerifiableServerDigest() throws {
        // A Flash-style C1: non-zero version, digest at the scheme-1 position computed with the player key.
        var c1 = [0, 0, 0, 0, 0x80, 0x00, 0x07, 0x02] + RtmpHandshake.random(1528)
        let offset = RtmpHandshake.digestOffset(c1, base: 8)
        let digest = RtmpHandshake.hmac(RtmpHandshake.clientKey, Array(c1[0..<offset]) + Array(c1[(offset + 32)...]))
        c1.replaceSubrange(offset..<(offset + 32), with: digest)
        XCTAssertEqual(RtmpHandshake.findDigest(c1, key: RtmpHandshake.clientKey), offset)

        guard case .reply(let r) = RtmpHandshake.respond(toC0C1: ([3] + c1)[...], now: 0) else { return XCTFail("no reply") }
        let s1 = Array(r[1..<1537]), s2 = Array(r[1537...])
        XCTAssertNotNil(RtmpHandshake.findDigest(s1, key: RtmpHandshake.serverKey), "S1 carries a server digest")
        let key = RtmpHandshake.hmac(RtmpHandshake.serverKeyFull, digest)
        XCTAssertEqual(Array(s2.suffix(32)), RtmpHandshake.hmac(key, Array(s2.prefix(1504))), "S2 signs the client digest")
    }

    func testBadVersionFailsAndShortInputWaits() {
        if case .failed = RtmpHandshake.respond(toC0C1: ([0x47] + [UInt8](repeating: 0, count: 1536))[...], now: 0) {} else { XCTFail() }
        if case .needMore = RtmpHandshake.respond(toC0C1: [3, 0, 0][...], now: 0) {} else { XCTFail() }
    }

    func testStreamNamesAndQueries() throws {
        let n = try XCTUnwrap(RtmpStreamName(app: "live?token=abc", name: "cam1?vhost=example.com&x=1"))
        XCTAssertEqual(n.app, "live")
        XCTAssertEqual(n.stream, "cam1")
        XCTAssertEqual(n.vhost, "example.com")
        XCTAssertEqual(n.query, "token=abc&vhost=example.com&x=1")
        XCTAssertEqual(RtmpStreamName(app: "/live/sub/", name: "s")?.app, "live/sub")
        XCTAssertNil(RtmpStreamName(app: "live", name: ""))
        XCTAssertEqual(RtmpStreamName(app: "vod", name: "mp4:lum.mp4")?.stream, "lum.mp4", "ffmpeg's file-name prefix")
        XCTAssertEqual(RtmpStreamName(app: "vod", name: "MP4:a/b.mp4?x=1")?.stream, "a/b.mp4")
        XCTAssertNil(RtmpStreamName(app: "..", name: "x"))
    }
}
