import Foundation
import XCTest
@testable import HttpProtocol

final class HttpProtocolTests: XCTestCase {
    private func parse(_ text: String, maxBody: Int = 1 << 20) throws -> [HttpRequest] {
        var p = HttpRequestParser(maxBodyBytes: maxBody)
        Array(text.utf8).withUnsafeBytes { p.feed($0) }
        var out: [HttpRequest] = []
        while let r = try p.next() { out.append(r) }
        return out
    }

    private func status(_ text: String) -> Int? {
        do { _ = try parse(text); return nil } catch let e as HttpRequestParser.Failure { return e.status } catch { return -1 }
    }

    func testPipelinedRequestsWithBodyAndQuery() throws {
        let rs = try parse("GET /live/a%20b.live.flv?vhost=v&x=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"
                           + "POST /index/api/getMediaList HTTP/1.1\r\ncontent-length: 4\r\n\r\nabcdGET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(rs.count, 3)
        XCTAssertEqual(rs[0].path, "/live/a b.live.flv")
        XCTAssertEqual(rs[0].query, "vhost=v&x=1")
        XCTAssertEqual(rs[0].queryParameter("vhost"), "v")
        XCTAssertTrue(rs[0].keepAlive)
        XCTAssertEqual(rs[1].body, Array("abcd".utf8))
        XCTAssertEqual(rs[1].header("Content-Length"), "4", "header names are case-insensitive")
        XCTAssertFalse(rs[2].keepAlive, "HTTP/1.0 closes unless asked")
    }

    func testIncompleteRequestWaits() throws {
        XCTAssertEqual(try parse("GET / HTTP/1.1\r\nHost: x\r\n").count, 0)
        XCTAssertEqual(try parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc").count, 0)
    }

    func testBadRequestsGetTheRightStatus() {
        XCTAssertEqual(status("GARBAGE\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/2.0\r\n\r\n"), 505)
        XCTAssertEqual(status("GET http://x/ HTTP/1.1\r\n\r\n"), 400)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 501)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"), 413)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"), 431)
        XCTAssertEqual(status("GET / HTTP/1.1\r\n" + String(repeating: "H: v\r\n", count: 101) + "\r\n"), 431)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400)
    }

    func testWebSocketHandshakeAndFramesFromRFC6455() throws {
        // RFC 6455 1.3 and 5.7.
        XCTAssertEqual(WebSocket.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        var masked: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let frames = try WebSocket.parse(&masked)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames[0].opcode, 1)
        XCTAssertEqual(String(decoding: frames[0].payload, as: UTF8.self), "Hello")
        XCTAssertTrue(masked.isEmpty)
        XCTAssertEqual(WebSocket.frame(opcode: 1, Array("Hello".utf8)), [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        XCTAssertEqual(WebSocket.frameHeader(opcode: 2, length: 256), [0x82, 0x7E, 0x01, 0x00])
        XCTAssertEqual(WebSocket.frameHeader(opcode: 2, length: 65536), [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        var unmasked: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        XCTAssertThrowsError(try WebSocket.parse(&unmasked))
        var huge: [UInt8] = [0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0]
        XCTAssertThrowsError(try WebSocket.parse(&huge))
        var partial: [UInt8] = [0x81, 0x85, 0x37]
        XCTAssertEqual(try WebSocket.parse(&partial).count, 0)
        XCTAssertEqual(partial.count, 3, "an incomplete frame stays buffered")
    }

    func testLiveURLs() throws {
        let u = try XCTUnwrap(LiveURL(path: "/live/sub/cam.live.flv", query: "vhost=v"))
        XCTAssertEqual(u.app, "live/sub")
        XCTAssertEqual(u.stream, "cam")
        XCTAssertEqual(u.format, .flv)
        XCTAssertEqual(u.vhost, "v")
        XCTAssertEqual(LiveURL(path: "/live/cam.live.ts", query: "")?.format, .ts)
        XCTAssertNil(LiveURL(path: "/cam.live.flv", query: ""))
        XCTAssertNil(LiveURL(path: "/live/cam.flv", query: ""))
    }

    func testRangesAndPathEscapes() throws {
        func r(_ h: String?, _ size: Int) -> String {
            switch StaticFiles.range(h, size: size) {
            case .success(let range)?: return "\(range.lowerBound)-\(range.upperBound)"
            case .failure?: return "416"
            case nil: return "full"
            }
        }
        XCTAssertEqual(r("bytes=0-9", 100), "0-9")
        XCTAssertEqual(r("bytes=90-", 100), "90-99")
        XCTAssertEqual(r("bytes=-10", 100), "90-99")
        XCTAssertEqual(r("bytes=50-500", 100), "50-99")
        XCTAssertEqual(r("bytes=100-", 100), "416")
        XCTAssertEqual(r("bytes=5-1", 100), "416")
        XCTAssertEqual(r("bytes=0-1,5-6", 100), "full")
        XCTAssertEqual(r(nil, 100), "full")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-www-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.appendingPathComponent("sub/a.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("escape").path, withDestinationPath: "/etc")
        let files = try XCTUnwrap(StaticFiles(root: dir.path))
        if case .file(_, 1) = files.resolve("/sub/a.txt") {} else { XCTFail("file not found") }
        if case .forbidden = files.resolve("/../etc/passwd") {} else { XCTFail("dot-dot escaped") }
        if case .forbidden = files.resolve("/escape/passwd") {} else { XCTFail("symlink escaped") }
        if case .notFound = files.resolve("/nope") {} else { XCTFail() }
        if case .directory = files.resolve("/sub") {} else { XCTFail() }
        XCTAssertEqual(StaticFiles.contentType("/a/b.m3u8"), "application/vnd.apple.mpegurl")
        XCTAssertTrue(StaticFiles.listing(path: dir.appendingPathComponent("sub").path, urlPath: "/sub/").contains("href=\"/sub/a.txt\""))
    }
}
