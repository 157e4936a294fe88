import Foundation
import XCTest

/// `[server]` options the README names, each observed from outside: the auth question's own deadline and
/// default, merged socket writes, and the ring's hard bound.
final class ServerOptionTests: XCTestCase {
    private func server(_ serverTable: String, rtmp: Int, http: Int, extra: String = "") throws -> ServerProcess {
        let s = try ServerProcess(config: "[server]\nplay_wait_ms = 3000\n\(serverTable)\n[rtmp]\nport = \(rtmp)\n[httpmux]\nport = \(http)\n\(extra)\n")
        try s.start()
        return s
    }

    /// An auth handler slower than auth_timeout_ms (testsink's slow_auth, 3 s) is cut short there with
    /// auth_default: `deny` refuses a publish the handler would allow, `allow` admits one it would refuse.
    /// (A hook is never that handler: its own default_allow answers before auth_timeout_ms.)
    func testAuthTimeoutAnswersWithAuthDefault() throws {
        for (verdict, handlerAllows) in [("deny", true), ("allow", false)] {
            let (rtmp, http) = (freePort(), freePort())
            let s = try server("auth_timeout_ms = 1000\nauth_default = \"\(verdict)\"", rtmp: rtmp, http: http, extra: """
                [testsink]
                port = \(freePort())
                slow_auth = ["live/late"]
                slow_auth_allows = \(handlerAllows)
                """)
            defer { s.stop() }
            XCTAssertTrue(s.waitForLog("plugin testsink"), s.log)
            let start = Date()
            if verdict == "deny" {
                let (status, out) = try MediaTools.refusedPublish("rtmp://127.0.0.1:\(rtmp)/live/late", timeout: 8)
                let took = Date().timeIntervalSince(start)
                XCTAssertNotEqual(status, 0)
                XCTAssertTrue(out.contains("Server error: auth handler did not answer in 1000 ms"), "\(out)\n\(s.log)")
                XCTAssertTrue(took > 0.9 && took < 2.8, "refused at auth_timeout_ms, before the handler's answer at 3 s: \(took) s")
            } else {
                let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/late", seconds: 10)
                defer { pub.terminate() }
                XCTAssertTrue(s.waitForLog("publish /live/late", timeout: 2.8), "admitted at auth_timeout_ms: \(s.log)")
                XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.9, "the question waited for its handler first")
                sleep(3)
                XCTAssertTrue(pub.isRunning, "the handler's late refusal changes nothing")
                XCTAssertGreaterThan(try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/late", seconds: 1, timeout: 10).videoFrames, 15)
            }
        }
    }

    /// merge_write_ms = 400: a player's data comes in a few large writes instead of one per frame, and no
    /// less of it.
    func testMergeWriteBatchesPlayerWrites() throws {
        var reads: [Int: FlvCapture] = [:]
        for merge in [0, 400] {
            let (rtmp, http) = (freePort(), freePort())
            let s = try server("merge_write_ms = \(merge)", rtmp: rtmp, http: http)
            defer { s.stop() }
            let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/m", seconds: 10)
            defer { pub.terminate() }
            XCTAssertTrue(s.waitForLog("publish /live/m"), s.log)
            sleep(1)
            reads[merge] = FlvCapture.read(port: http, path: "/live/m.live.flv", seconds: 3)
        }
        let plain = try XCTUnwrap(reads[0]), merged = try XCTUnwrap(reads[400])
        // 3 s of 25 fps video and 43 AAC frames a second: over 150 frames, each its own write without merging.
        XCTAssertGreaterThan(plain.reads, 60, "unmerged: \(plain.reads) reads")
        XCTAssertLessThan(merged.reads, 30, "merged every 400 ms: \(merged.reads) reads")
        XCTAssertGreaterThan(plain.reads, 2 * merged.reads, "\(plain.reads) reads unmerged, \(merged.reads) merged")
        let mediaSpan = { (c: FlvCapture) in (c.tags.last?.timestamp ?? 0) - (c.tags.first?.timestamp ?? 0) }
        XCTAssertGreaterThan(mediaSpan(merged), 2000, "the merged player still gets the stream: \(mediaSpan(merged)) ms")
    }

    /// ring_frames bounds what a stream keeps: with a 10 s GOP, a player joining 3 s in is sent the whole GOP so
    /// far at the default, and at most ring_frames (64 frames, about 1 s here) with the bound.
    func testRingFramesBoundsTheBacklogANewPlayerGets() throws {
        var spans: [String: Int] = [:]
        for (label, table) in [("default", ""), ("bounded", "ring_frames = 64")] {
            let (rtmp, http) = (freePort(), freePort())
            let s = try server(table, rtmp: rtmp, http: http)
            defer { s.stop() }
            let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/g", seconds: 10, extra: ["-g", "250"])
            defer { pub.terminate() }
            XCTAssertTrue(s.waitForLog("publish /live/g", timeout: 15), s.log)
            sleep(3)
            // What arrives in the first 300 ms is the backlog (plus 300 ms of live frames).
            let capture = FlvCapture.read(port: http, path: "/live/g.live.flv", seconds: 0.3)
            spans[label] = (capture.tags.last?.timestamp ?? 0) - (capture.tags.first?.timestamp ?? 0)
        }
        XCTAssertGreaterThan(spans["default"] ?? 0, 2000, "\(spans)")
        XCTAssertLessThan(spans["bounded"] ?? .max, 1500, "\(spans)")
    }
}

/// FLV tags read straight off an HTTP-FLV socket, with how many reads they took.
struct FlvCapture {
    struct Tag { let type: UInt8; let timestamp: Int }
    var reads = 0
    var tags: [Tag] = []

    static func read(port: Int, path: String, seconds: Double) -> FlvCapture {
        var capture = FlvCapture()
        guard let fd = connectLoopback(port: port, timeout: 0.05) else { return capture }
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { break }
            if n > 0 { capture.reads += 1; data.append(contentsOf: buf[0..<n]) }
        }
        guard let headEnd = data.firstRange(of: [13, 10, 13, 10]) else { return capture }
        // The FLV header (9 bytes) and PreviousTagSize0, then tags of 11 header bytes, payload, and a size.
        var i = headEnd.upperBound + 13
        while data.count - i >= 11 {
            let size = Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            let ts = Int(data[i + 7]) << 24 | Int(data[i + 4]) << 16 | Int(data[i + 5]) << 8 | Int(data[i + 6])
            guard data.count - i >= 11 + size + 4 else { break }
            if data[i] == 8 || data[i] == 9 { capture.tags.append(Tag(type: data[i], timestamp: ts)) }
            i += 11 + size + 4
        }
        return capture
    }
}
