import Foundation
import XCTest

/// close_streams and kick_sessions end what their filters match and nothing else, seen from the clients:
/// a closed stream's publisher is disconnected, a kicked player's socket is closed, the others go on.
final class StreamControlApiTests: XCTestCase {
    private func api(_ http: Int, _ query: String, line: UInt = #line) throws -> [String: Any] { try managementApi(http, query, line: line) }

    func testCloseStreamsEndsOnlyTheMatchingStreams() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http)
        defer { s.stop() }
        let closed = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 20)
        defer { closed.terminate() }
        let kept = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/other/c", seconds: 20)
        defer { kept.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a") && s.waitForLog("publish /other/c"), s.log)

        let answer = try api(http, "close_streams?app=live")
        XCTAssertEqual(answer["code"] as? Int, 0, "\(answer)")
        XCTAssertEqual(answer["count_hit"] as? Int, 1, "\(answer)")
        XCTAssertEqual(answer["count_closed"] as? Int, 1, "\(answer)")
        XCTAssertTrue(waitUntil(timeout: 5) { !closed.isRunning }, "the closed stream's publisher was disconnected")
        XCTAssertTrue(kept.isRunning)
        XCTAssertEqual((try api(http, "isMediaOnline?schema=rtmp&app=other&stream=c")["online"]) as? Bool, true)
        XCTAssertEqual((try api(http, "isMediaOnline?schema=rtmp&app=live&stream=a")["online"]) as? Bool, false)
        XCTAssertEqual(try api(http, "close_streams?app=nothing")["count_hit"] as? Int, 0)
    }

    func testKickSessionsClosesOnlyTheMatchingConnections() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http)
        defer { s.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/k", seconds: 20)
        defer { pub.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/k"), s.log)
        // An HTTP-FLV player on the HTTP port, read by hand so its close is seen at once.
        let player = try XCTUnwrap(connectLoopback(port: http, timeout: 0.2))
        defer { close(player) }
        _ = "GET /live/k.live.flv HTTP/1.1\r\nHost: x\r\n\r\n".withCString { send(player, $0, strlen($0), 0) }
        var buf = [UInt8](repeating: 0, count: 65536)
        XCTAssertTrue(waitUntil(timeout: 5) { recv(player, &buf, buf.count, 0) > 0 }, "the player gets the stream")

        let answer = try api(http, "kick_sessions?local_port=\(http)")
        XCTAssertEqual(answer["code"] as? Int, 0, "the caller's own connection is spared: \(answer)")
        XCTAssertEqual(answer["count_hit"] as? Int, 1, "\(answer)")
        var ended = false
        XCTAssertTrue(waitUntil(timeout: 5) {
            let until = Date().addingTimeInterval(0.5)
            while Date() < until {
                let n = recv(player, &buf, buf.count, 0)
                if n == 0 { ended = true }
                if n <= 0 { break }
            }
            return ended
        }, "the kicked player's socket is closed")
        XCTAssertTrue(pub.isRunning, "the publisher on the RTMP port was not matched")
        XCTAssertGreaterThan(try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/k", seconds: 1, timeout: 10).videoFrames, 15)
        XCTAssertEqual(try api(http, "kick_sessions?peer_ip=192.0.2.9")["count_hit"] as? Int, 0)
    }
}
