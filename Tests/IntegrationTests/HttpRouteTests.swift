import Foundation
import XCTest

/// Routes another plugin registers through the host, served on httpmux's port: a whole answer and a
/// streamed (chunked) one, over a kept-alive connection, next to a 404 for what nobody serves.
final class HttpRouteTests: XCTestCase {
    /// max_body_bytes (2048 here, the default is 1 MiB): a body within it reaches the route, a larger one is
    /// answered 413 without being read.
    func testMaxBodyBytesAnswers413ToALargerBody() throws {
        let http = freePort()
        let s = try ServerProcess(config: "[httpmux]\nport = \(http)\nmax_body_bytes = 2048\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let post = { (size: Int) in
            exchange(port: http, "POST /index/api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\n"
                     + "Content-Length: \(size)\r\n\r\n" + String(repeating: "a", count: size))
        }
        let within = post(1500)
        XCTAssertEqual(within.status, 200, within.text)
        let over = post(4000)
        XCTAssertEqual(over.status, 413, over.text)
    }

    func testRoutesOfAnotherPluginAreServedByHttpmux() throws {
        let http = freePort(), sink = freePort()
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 200
            [testsource]
            streams = ["live/r"]
            [testsink]
            streams = ["live/r"]
            port = \(sink)
            [httpmux]
            port = \(http)
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux 0.1.0 started"), s.log)
        XCTAssertTrue(waitUntil { (SinkStats.read(port: sink, stream: "live/r")?.frames ?? 0) > 5 })
        // Two requests on one connection: curl reuses it (keep-alive) and both answers come back in order.
        let (status, out) = try runCommand("/usr/bin/curl", ["-s", "-i", "http://127.0.0.1:\(http)/testsink/stats",
                                                            "http://127.0.0.1:\(http)/testsink/count"], timeout: 10)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("Content-Type: application/json"), out)
        XCTAssertTrue(out.contains("\"frames\""), out)
        XCTAssertTrue(out.contains("Transfer-Encoding: chunked"), out)
        XCTAssertTrue(out.hasSuffix("one two three GET"), out)
        XCTAssertTrue(out.contains("Access-Control-Allow-Origin: *"), "CORS on every answer: \(out)")
        let (_, preflight) = try runCommand("/usr/bin/curl", ["-s", "-i", "-X", "OPTIONS", "-H", "Origin: http://example.com",
                                                             "-H", "Access-Control-Request-Headers: content-type",
                                                             "http://127.0.0.1:\(http)/testsink/stats"], timeout: 10)
        XCTAssertTrue(preflight.hasPrefix("HTTP/1.1 204"), preflight)
        XCTAssertTrue(preflight.contains("Access-Control-Allow-Headers: content-type"), preflight)
        let (_, missing) = try runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                           "http://127.0.0.1:\(http)/nobody/serves/this"], timeout: 10)
        XCTAssertEqual(missing, "404")

        // HEAD: a route's answer and a live stream's head, without bodies, on one kept-alive connection (a body
        // would be read as the start of the next response).
        let heads = try XCTUnwrap(talk(port: http, "HEAD /testsink/stats HTTP/1.1\r\nHost: x\r\n\r\n"
                                       + "HEAD /live/r.live.flv HTTP/1.1\r\nHost: x\r\n\r\n"
                                       + "GET /testsink/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        let parts = heads.components(separatedBy: "HTTP/1.1 200")
        XCTAssertEqual(parts.count, 4, heads)
        XCTAssertTrue(parts[1].hasSuffix("\r\n\r\n") && parts[1].contains("application/json"), heads)
        XCTAssertTrue(parts[2].hasSuffix("\r\n\r\n") && parts[2].contains("video/x-flv"), heads)
        XCTAssertTrue(parts[3].hasSuffix("one two three GET\r\n0\r\n\r\n") || parts[3].contains("three"), heads)
    }
}
