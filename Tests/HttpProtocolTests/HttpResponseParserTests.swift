import XCTest
@testable import HttpProtocol

/// Responses captured off the wire: `python3 -m http.server` (HTTP/1.0, Content-Length) and a Python
/// BaseHTTPRequestHandler writing a chunked HTTP/1.1 body with chunk extensions and a trailer.
final class HttpResponseParserTests: XCTestCase {
    static let pythonPlaylist = "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Thu, 26 Nov 2026 12:25:50 GMT\r\n"
        + "Content-type: application/vnd.apple.mpegurl\r\nContent-Length: 225\r\nLast-Modified: Thu, 26 Nov 2026 12:25:36 GMT\r\n\r\n"
        + "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:1.000000,\n"
        + "index0.ts\n#EXTINF:1.000000,\nindex1.ts\n#EXTINF:1.000000,\nindex2.ts\n#EXTINF:1.000000,\nindex3.ts\n#EXT-X-ENDLIST\n"

    static let python404 = "HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Thu, 26 Nov 2026 12:25:50 GMT\r\n"
        + "Connection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 335\r\n\r\n"
        + "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n"
        + "    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: File not found.</p>\n"
        + "        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n"

    static let chunked = "HTTP/1.1 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Thu, 26 Nov 2026 12:25:50 GMT\r\n"
        + "Content-Type: application/vnd.apple.mpegurl\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "8;ext=1\r\n#EXTM3U\n\r\n25;ext=1\r\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n\r\n5;ext=1\r\na.ts\n\r\n0\r\nX-Trailer: t\r\n\r\n"

    /// Feeds `text` in pieces of `step` bytes, then closes; every response completed on the way.
    private func parse(_ text: String, step: Int = .max, limit: Int = 1 << 20) throws -> [HttpResponseMessage] {
        var p = HttpResponseParser(maxBodyBytes: limit)
        var out: [HttpResponseMessage] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + min(step, bytes.count))
            p.feed(bytes[i..<end])
            while let r = try p.next() { out.append(r) }
            i = end
        }
        if let r = try p.finish() { out.append(r) }
        return out
    }

    private func failure(_ text: String, limit: Int = 1 << 20) -> String? {
        do { _ = try parse(text, limit: limit); return nil } catch { return "\(error)" }
    }

    func testPythonHttpServerResponseInAnyChunking() throws {
        for step in [1, 2, 7, 64, Int.max] {
            let rs = try parse(Self.pythonPlaylist, step: step)
            XCTAssertEqual(rs.count, 1, "step \(step)")
            XCTAssertEqual(rs.first?.status, 200)
            XCTAssertEqual(rs.first?.version, "HTTP/1.0")
            XCTAssertEqual(rs.first?.header("content-type"), "application/vnd.apple.mpegurl")
            XCTAssertEqual(rs.first?.body.count, 225)
            XCTAssertEqual(rs.first.map { String(decoding: $0.body.prefix(7), as: UTF8.self) }, "#EXTM3U")
        }
    }

    func testPython404() throws {
        let rs = try parse(Self.python404, step: 13)
        XCTAssertEqual(rs.first?.status, 404)
        XCTAssertEqual(rs.first?.reason, "File not found")
        XCTAssertEqual(rs.first?.body.count, 335)
    }

    func testChunkedWithExtensionsAndTrailerInAnyChunking() throws {
        for step in [1, 3, 10, Int.max] {
            let rs = try parse(Self.chunked, step: step)
            XCTAssertEqual(rs.count, 1, "step \(step)")
            XCTAssertEqual(rs.first.map { String(decoding: $0.body, as: UTF8.self) }, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\na.ts\n")
        }
    }

    func testCloseDelimitedBodyEndsAtTheClose() throws {
        let rs = try parse("HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\n\r\nabcdef", step: 4)
        XCTAssertEqual(rs.first?.body, Array("abcdef".utf8))
    }

    func testInterimResponsesAreSkippedAndKeepAliveResponsesFollowEachOther() throws {
        let rs = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n"
                           + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(rs.map(\.status), [200, 204, 200])
        XCTAssertEqual(rs.map(\.body.count), [2, 0, 0])
    }

    func testHeadResponseHasNoBody() throws {
        var p = HttpResponseParser(maxBodyBytes: 100)
        p.expectsNoBody = true
        p.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n".utf8))
        XCTAssertEqual(try p.next()?.body.count, 0)
    }

    func testBoundsAndMalformedResponses() {
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", limit: 10), "body of 11 bytes is over the limit of 10")
        XCTAssertEqual(failure("HTTP/1.0 200 OK\r\n\r\n" + String(repeating: "x", count: 11), limit: 10), "body over 10 bytes")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n", limit: 10), "body over 10 bytes")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 17_000)), "response head over 16384 bytes")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "1", count: 2000)),
                       "chunk-size line over 1024 bytes")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), "bad chunk size 'zz'")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"), "chunk not followed by CRLF")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n"), "bad Content-Length '1, 2'")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), "bad Content-Length '-1'")
        XCTAssertEqual(failure("ICY 200 OK\r\n\r\n"), "bad status line 'ICY 200 OK'")
        XCTAssertEqual(failure("HTTP/1.1 2000 OK\r\n\r\n"), "bad status code in 'HTTP/1.1 2000 OK'")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"), "header line without a colon")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), "connection closed after 2 body bytes, before the end of the body")
        XCTAssertEqual(failure("HTTP/1.1 200 OK\r\n"), "connection closed inside the response head")
        XCTAssertNil(failure(""), "a close before any byte is no response, not an error")
    }

    func testRandomBytesNeverCrash() {
        var seed: UInt64 = 42
        let alphabet = Array("HTTP/1.1 200 OK\r\nContent-Length:Transfer-Encoding: chunked0123456789abcdef;".utf8)
        for _ in 0..<3000 {
            var p = HttpResponseParser(maxBodyBytes: 64)
            var bytes = Array("HTTP/1.1 200 OK\r\n".utf8)
            for _ in 0..<Int(seed % 300) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(seed >> 33) % alphabet.count])
            }
            p.feed(bytes)
            _ = try? p.next()
            _ = try? p.finish()
        }
    }

    func testHttpURL() {
        let u = HttpURL("http://127.0.0.1:8000/live/index.m3u8?t=1#frag")
        XCTAssertEqual(u?.host, "127.0.0.1")
        XCTAssertEqual(u?.port, 8000)
        XCTAssertEqual(u?.target, "/live/index.m3u8?t=1")
        XCTAssertEqual(u?.authority, "127.0.0.1:8000")
        XCTAssertEqual(HttpURL("HTTP://example.com")?.target, "/")
        XCTAssertEqual(HttpURL("http://example.com?x")?.target, "/?x")
        XCTAssertEqual(HttpURL("https://[::1]/a")?.host, "::1")
        XCTAssertEqual(HttpURL("https://[::1]/a")?.port, 443)
        XCTAssertEqual(HttpURL("http://[::1]:81/a")?.port, 81)
        XCTAssertNil(HttpURL("rtmp://h/a"))
        XCTAssertNil(HttpURL("http://u:p@h/a"))
        XCTAssertNil(HttpURL("http:///a"))
        XCTAssertNil(HttpURL("http://h:0/a"))
        XCTAssertNil(HttpURL("http://h:99999/a"))
        XCTAssertNil(HttpURL("http://h:x/a"))
    }

    /// An endless body (HTTP-FLV, HTTP-TS) read as it arrives: the head is there before the body ends, and
    /// taking the body after every `next()` keeps the limit a bound on what waits, not on the whole body.
    func testStreamedBodyIsTakenAsItArrivesUnderALimitPerTake() throws {
        for chunkedBody in [false, true] {
            var p = HttpResponseParser(maxBodyBytes: 100)
            let head = chunkedBody ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\n\r\n"
            p.feed(Array(head.utf8))
            XCTAssertNil(try p.next())
            XCTAssertEqual(p.head?.status, 200)
            var total: [UInt8] = []
            for round in 0..<50 {
                let piece = [UInt8](repeating: UInt8(round), count: 80)
                p.feed(chunkedBody ? Array("50\r\n".utf8) + piece + Array("\r\n".utf8) : piece)
                XCTAssertNil(try p.next())
                total += p.takeBody()
            }
            XCTAssertEqual(total.count, 4000, "chunked \(chunkedBody)")
            XCTAssertEqual(total.last, 49)
            XCTAssertEqual(p.head?.status, 200)
            p.feed([UInt8](repeating: 1, count: chunkedBody ? 0 : 101))
            if chunkedBody {
                p.feed(Array("0\r\n\r\n".utf8))
                XCTAssertEqual(try p.next()?.body, [], "the end of a chunked body completes the response")
                XCTAssertNil(p.head)
            } else {
                XCTAssertThrowsError(try p.next(), "more than the limit between two takes")
            }
        }
    }
}
