import XCTest
@testable import RtspProtocol

/// RTSP over HTTP: the two request heads ffmpeg 5.1 (`-rtsp_transport http`) sends, captured from a Python
/// stub server, and the base64 of its POST body with requests encoded one by one.
final class RtspTunnelTests: XCTestCase {
    static let ffmpegGet = Array("""
        GET /live/a HTTP/1.1\r
        User-Agent: Lavf/59.27.100\r
        Range: bytes=0-\r
        Connection: close\r
        Host: 127.0.0.1:18777\r
        Icy-MetaData: 1\r
        x-sessioncookie: 6850201b097d7be7\r
        Accept: application/x-rtsp-tunnelled\r
        Pragma: no-cache\r
        Cache-Control: no-cache\r
        \r

        """.utf8)

    static let ffmpegPostHead = Array("""
        POST /live/a HTTP/1.1\r
        User-Agent: Lavf/59.27.100\r
        Accept: */*\r
        Connection: close\r
        Host: 127.0.0.1:18777\r
        Icy-MetaData: 1\r
        x-sessioncookie: 6850201b097d7be7\r
        Content-Type: application/x-rtsp-tunnelled\r
        Pragma: no-cache\r
        Cache-Control: no-cache\r
        Content-Length: 32767\r
        Expires: Sun, 9 Jan 1972 00:00:00 GMT\r
        \r

        """.utf8)

    /// ffmpeg's first tunnelled request (OPTIONS), base64 with its own padding.
    static let ffmpegPostBody = Array("T1BUSU9OUyBydHNwOi8vMTI3LjAuMC4xOjE4Nzc3L2xpdmUvYSBSVFNQLzEuMA0KQ1NlcTogMQ0KVXNlci1BZ2VudDogTGF2ZjU5LjI3LjEwMA0KDQo=".utf8)
    static let optionsRequest = Array("OPTIONS rtsp://127.0.0.1:18777/live/a RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n".utf8)

    func testFfmpegGetAndPostHeads() throws {
        let get = try XCTUnwrap(RtspTunnelRequest.parse(Self.ffmpegGet))
        XCTAssertEqual(get.method, .get)
        XCTAssertEqual(get.cookie, "6850201b097d7be7")
        XCTAssertTrue(get.rest.isEmpty)
        let post = try XCTUnwrap(RtspTunnelRequest.parse(Self.ffmpegPostHead + Self.ffmpegPostBody))
        XCTAssertEqual(post.method, .post)
        XCTAssertEqual(post.cookie, "6850201b097d7be7")
        XCTAssertEqual(post.rest, Self.ffmpegPostBody)
        XCTAssertTrue(RtspTunnelRequest.looksLikeHTTP(Self.ffmpegGet[...]))
        XCTAssertFalse(RtspTunnelRequest.looksLikeHTTP(Self.optionsRequest[...]))
    }

    func testIncompleteHeadsWaitAndBadOnesAreRefused() throws {
        for n in 0..<(Self.ffmpegGet.count - 1) { XCTAssertNil(try RtspTunnelRequest.parse(Array(Self.ffmpegGet.prefix(n)))) }
        XCTAssertThrowsError(try RtspTunnelRequest.parse(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)), "no cookie")
        XCTAssertThrowsError(try RtspTunnelRequest.parse(Array("PUT / HTTP/1.1\r\nx-sessioncookie: a\r\n\r\n".utf8)))
        XCTAssertThrowsError(try RtspTunnelRequest.parse([UInt8](repeating: 65, count: 9000)), "a head that never ends")
    }

    func testPostBodyDecodesAcrossChunksWithPaddingMidStream() {
        // Two requests encoded separately, fed in odd-sized chunks with line breaks in between.
        let body = Self.ffmpegPostBody + Array("\r\n".utf8) + Self.ffmpegPostBody
        for chunk in [1, 3, 7, 64, body.count] {
            var decoder = RtspTunnelDecoder()
            var out: [UInt8] = []
            var i = 0
            while i < body.count {
                let piece = Array(body[i..<min(body.count, i + chunk)])
                out += piece.withUnsafeBytes { decoder.decode($0) } ?? []
                i += chunk
            }
            XCTAssertEqual(out, Self.optionsRequest + Self.optionsRequest, "chunks of \(chunk)")
        }
        var decoder = RtspTunnelDecoder()
        XCTAssertNil(Array("T1B*".utf8).withUnsafeBytes { decoder.decode($0) }, "not base64")
    }
}
