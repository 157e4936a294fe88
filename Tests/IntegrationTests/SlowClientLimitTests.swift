import Foundation
import XCTest

/// Slowloris: connections that send nothing, or a request a byte at a time, are closed after the timeout
/// (httpmux request_timeout_ms, rtmp handshake_timeout_ms) and meanwhile do not stop a real player.
final class SlowClientLimitTests: XCTestCase {
    func testIdleAndSlowHeaderConnectionsAreClosedAfterTheTimeoutWhileAPlayerPlays() throws {
        let rtmp = freePort(), http = freePort()
        let s = try ServerProcess(config: """
            [rtmp]
            port = \(rtmp)
            handshake_timeout_ms = 3000
            [httpmux]
            port = \(http)
            request_timeout_ms = 3000
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        let opened = Date()
        let idleHttp = (0..<200).map { _ in RawClient(port: http) }
        let idleRtmp = (0..<20).map { _ in RawClient(port: rtmp) }
        let slow = (0..<20).map { _ in RawClient(port: http) }
        XCTAssertTrue((idleHttp + idleRtmp + slow).allSatisfy(\.connected), "the server refused a connection")
        // One byte of a request every 200 ms, each client, until just before the timeout (later bytes would meet a
        // closed socket and turn the server's FIN and 408 into a reset): the request never completes.
        let drip = Thread {
            let request = Array("GET /live/a.live.flv HTTP/1.1\r\n".utf8)
            for byte in request.prefix(13) {
                for c in slow { c.send([byte]) }
                usleep(200_000)
            }
        }
        drip.start()

        sleep(1)
        XCTAssertTrue((idleHttp + idleRtmp).allSatisfy { $0.openNow() }, "closed long before the timeout")
        // 240 connections waiting: a real player still gets the stream at its rate.
        let p = try MediaTools.probe("http://127.0.0.1:\(http)/live/a.live.flv", seconds: 1.5)
        XCTAssertGreaterThan(p.videoFrames, 25, "the player was held back by the idle connections")

        let closed = idleHttp.map { $0.waitForClose(until: opened.addingTimeInterval(10)) }
        XCTAssertEqual(closed.filter { $0 }.count, 200, "idle HTTP connections left open after request_timeout_ms")
        XCTAssertEqual(idleRtmp.filter { $0.waitForClose(until: opened.addingTimeInterval(10)) }.count, 20,
                       "idle RTMP connections left open after handshake_timeout_ms")
        for c in slow {
            XCTAssertTrue(c.waitForClose(until: opened.addingTimeInterval(10)), "a slow-header connection was left open")
            XCTAssertTrue(String(decoding: c.received, as: UTF8.self).hasPrefix("HTTP/1.1 408"), "not answered 408")
        }
        XCTAssertTrue(s.waitForLog("no publish or play within 3000 ms"), s.log)

        // The server is still whole: a new player plays.
        let again = try MediaTools.probe("http://127.0.0.1:\(http)/live/a.live.flv", seconds: 1)
        XCTAssertGreaterThan(again.videoFrames, 15)
    }

    func testConnectionsOverThePerAddressCapAreRefusedAndTheirSlotsComeBack() throws {
        let http = freePort()
        let s = try ServerProcess(config: """
            [httpmux]
            port = \(http)
            max_connections_per_ip = 50
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[httpmux] listening on tcp"), s.log)
        let held = (0..<60).map { _ in RawClient(port: http) }
        XCTAssertTrue(held.allSatisfy(\.connected))
        // The kernel accepts them all; the server closes what is over the cap as it takes them.
        let deadline = Date().addingTimeInterval(2)
        let refused = held.filter { $0.waitForClose(until: deadline) }
        XCTAssertEqual(refused.count, 10, "connections over max_connections_per_ip")
        XCTAssertEqual(talk(port: http, "GET /index/api/version HTTP/1.0\r\n\r\n"), "", "an 51st connection was served")
        XCTAssertTrue(s.waitForLog("over max_connections_per_ip 50"), s.log)

        for c in held.filter({ c in !refused.contains { $0 === c } }).prefix(5) { c.hangUp() }
        XCTAssertTrue(waitUntil(timeout: 5) { talk(port: http, "GET /index/api/version HTTP/1.0\r\n\r\n")?.hasPrefix("HTTP/1.1 200") == true },
                      "a slot given back is not taken again")
    }
}

/// A loopback TCP client that does nothing unless told, and can tell when the server has closed it.
private final class RawClient: @unchecked Sendable {
    let fd: Int32
    let connected: Bool
    private(set) var received: [UInt8] = []

    init(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        connected = fd >= 0 && withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    deinit { if fd >= 0 { close(fd) } }

    func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Nothing to read and no end of stream yet.
    func openNow() -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) == 0
    }

    /// Reads until the server closes (true) or `until` passes (false).
    func waitForClose(until: Date) -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = Int32(max(0, until.timeIntervalSinceNow * 1000))
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, left) > 0 else { return false }
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return true }
            received += buf[0..<n]
        }
    }
}
