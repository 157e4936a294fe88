import Foundation
import XCTest

/// Malformed RTMP input closes the offending session with a log line; other sessions go on.
final class RtmpBadInputTests: XCTestCase {
    /// Does the handshake by hand, then sends `bytes`; true when the server then closes the connection.
    private func serverCloses(port: Int, after bytes: [UInt8], handshake: Bool = true) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0 else { return false }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buf = [UInt8](repeating: 0, count: 8192)
        if handshake {
            let c0c1 = [UInt8(3)] + [UInt8](repeating: 0, count: 1536)
            _ = c0c1.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var got = 0
            while got < 3073 {
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { return false }
                got += n
            }
            let c2 = [UInt8](repeating: 0, count: 1536)
            _ = c2.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { return true }         // orderly close by the server
            if n < 0 { return errno == ECONNRESET }
        }
    }

    func testMalformedSessionsAreClosedWhileAPlayerKeepsPlaying() throws {
        let rtmp = freePort(), http = freePort()
        let s = try ServerProcess(config: "[server]\nplay_wait_ms = 4000\n[rtmp]\nport = \(rtmp)\n[httpmux]\nport = \(http)\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/ok", seconds: 14)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/ok"), s.log)

        // Not RTMP at all.
        XCTAssertTrue(serverCloses(port: rtmp, after: Array("GET / HTTP/1.1\r\n\r\n".utf8) + [UInt8](repeating: 0, count: 1520), handshake: false))
        XCTAssertTrue(s.waitForLog("unsupported RTMP version 71"), s.log)
        // An absurd chunk size (Set Chunk Size 0x7FFFFFFF).
        XCTAssertTrue(serverCloses(port: rtmp, after: [0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF]))
        XCTAssertTrue(s.waitForLog("absurd chunk size"), s.log)
        // A message announced at 16 MB.
        XCTAssertTrue(serverCloses(port: rtmp, after: [0x03, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x14, 0, 0, 0, 0]))
        XCTAssertTrue(s.waitForLog("is over the limit"), s.log)
        // A command that is not AMF.
        XCTAssertTrue(serverCloses(port: rtmp, after: [0x03, 0, 0, 0, 0, 0, 3, 0x14, 0, 0, 0, 0, 0x42, 0x42, 0x42]))
        XCTAssertTrue(s.waitForLog("bad command"), s.log)
        // A handshake that never finishes is dropped (10 s) - not waited for here; a truncated one just waits.

        // The good stream was not disturbed.
        let p = try MediaTools.probe("http://127.0.0.1:\(http)/live/ok.live.flv", seconds: 2)
        XCTAssertGreaterThan(p.videoFrames, 40)
        XCTAssertTrue(p.firstVideoKey)
    }

    func testSecondPublisherIsRefusedAndTheFirstGoesOn() throws {
        let rtmp = freePort(), http = freePort()
        let s = try ServerProcess(config: "[rtmp]\nport = \(rtmp)\n[httpmux]\nport = \(http)\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let first = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/one", seconds: 12)
        defer { first.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/one"), s.log)
        let (status, out) = try MediaTools.refusedPublish("rtmp://127.0.0.1:\(rtmp)/live/one")
        XCTAssertNotEqual(status, 0, "the second publisher is turned away")
        XCTAssertTrue(out.contains("Server error: Already publishing"), "NetStream.Publish.BadName's description: \(out)")
        XCTAssertTrue(s.log.contains("is already being published"), s.log)
        XCTAssertTrue(first.isRunning)
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/one", seconds: 2)
        XCTAssertGreaterThan(p.videoFrames, 40)
    }

    /// takeover = true: the second publisher gets the stream and the first is disconnected, not left
    /// sending into a source nobody reads.
    func testTakeoverDisconnectsTheFirstPublisher() throws {
        let rtmp = freePort(), http = freePort()
        let s = try ServerProcess(config: "[rtmp]\nport = \(rtmp)\ntakeover = true\n[httpmux]\nport = \(http)\n")
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let first = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/one", seconds: 15)
        defer { first.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/one"), s.log)
        let second = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/one", seconds: 15)
        defer { second.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/one", count: 2), s.log)
        XCTAssertTrue(waitUntil(timeout: 5) { !first.isRunning }, "the replaced publisher is disconnected: \(s.log)")
        XCTAssertTrue(second.isRunning)
        XCTAssertGreaterThan(try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/one", seconds: 1, timeout: 10).videoFrames, 15)
    }
}
