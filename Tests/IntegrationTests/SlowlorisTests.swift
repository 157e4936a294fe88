import Foundation
import XCTest

/// Slowloris on every listener at once: 2,000 connections each to HTTP (httpmux), RTSP and RTMP that send
/// their request (or RTMP handshake) one byte a second. While they are open, a real player plays over each
/// protocol; the header and handshake timeouts (httpmux `request_timeout_ms`, rtsp `header_timeout_ms`, rtmp
/// `handshake_timeout_ms`) then close every one of them, counted from the client side.
final class SlowlorisTests: XCTestCase {
    func testTwoThousandSlowConnectionsPerProtocolAreClosedByTheirTimeoutsWhilePlayersPlay() throws {
        throw XCTSkip("unfinished: 6,000 blocking connects took 18 s; needs non-blocking connects (docs/reliability.md, Faults)")
        let perProtocol = 2000
        raiseDescriptorLimit(to: 3 * perProtocol + 1024)
        let timeoutMs = 5000
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 3000
            [rtmp]
            port = \(rtmp)
            handshake_timeout_ms = \(timeoutMs)
            [rtsp]
            port = \(rtsp)
            header_timeout_ms = \(timeoutMs)
            [httpmux]
            port = \(http)
            request_timeout_ms = \(timeoutMs)
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        let opened = Date()
        let fleets = [
            ("HTTP", SlowFleet(port: http, count: perProtocol, drip: Array("GET /live/a.live.flv HTTP/1.1\r\nHost: x\r\n\r\n".utf8))),
            ("RTSP", SlowFleet(port: rtsp, count: perProtocol, drip: Array("OPTIONS rtsp://127.0.0.1/live/a RTSP/1.0\r\nCSeq: 1\r\n\r\n".utf8))),
            ("RTMP", SlowFleet(port: rtmp, count: perProtocol, drip: [3] + Array(repeating: 0, count: 1536))),
        ]
        let openedIn = Date().timeIntervalSince(opened)
        for (name, fleet) in fleets { XCTAssertEqual(fleet.connected, perProtocol, "\(name) connections refused") }
        XCTAssertLessThan(openedIn, Double(timeoutMs) / 1000 - 3, "opening took too long for the players to run before the timeout")
        let dripper = Dripper(fleets.map(\.1))
        dripper.start()
        defer { dripper.stop() }

        // While all 6,000 are open (and dripping), a real player of each protocol gets 2 s at 25 fps.
        sleep(1)
        for (name, fleet) in fleets { XCTAssertEqual(fleet.closedCount(), 0, "\(name) connections closed before the timeout") }
        let players = [("HTTP-FLV", "http://127.0.0.1:\(http)/live/a.live.flv", [String]()),
                       ("RTMP", "rtmp://127.0.0.1:\(rtmp)/live/a", []),
                       ("RTSP", "rtsp://127.0.0.1:\(rtsp)/live/a", ["-rtsp_transport", "tcp"])]
        let frames = LockedCounts()
        DispatchQueue.concurrentPerform(iterations: players.count) { i in
            let (name, url, extra) = players[i]
            frames.set(name, (try? MediaTools.probe(url, seconds: 2, timeout: 15, extra: extra))?.videoFrames ?? -1)
        }
        let playersDone = Date().timeIntervalSince(opened)
        for (name, _, _) in players { XCTAssertGreaterThanOrEqual(frames.get(name), 45, "\(name) player during the slowloris") }
        for (name, fleet) in fleets {
            XCTAssertLessThan(fleet.closedCount(), perProtocol, "\(name): every slow connection was already closed when the players finished (\(playersDone) s)")
        }

        // Each timeout closes them: by its length plus the 1 s timer granularity and some slack, all 6,000.
        let deadline = opened.addingTimeInterval(Double(timeoutMs) / 1000 + openedIn + 3)
        for (name, fleet) in fleets {
            XCTAssertTrue(waitUntil(timeout: max(0.1, deadline.timeIntervalSinceNow)) { fleet.closedCount() == perProtocol },
                          "\(name): \(fleet.closedCount()) of \(perProtocol) closed \(Date().timeIntervalSince(opened)) s after opening")
        }
        XCTAssertTrue(s.log.contains("no whole request within \(timeoutMs) ms"), "the RTSP header timeout")
        XCTAssertTrue(s.log.contains("no publish or play within \(timeoutMs) ms"), "the RTMP handshake timeout")
        // And the server is whole afterwards.
        let again = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/a", seconds: 1, extra: ["-rtsp_transport", "tcp"])
        XCTAssertGreaterThanOrEqual(again.videoFrames, 20)
    }

    private func raiseDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Connections to one port that send `drip` one byte per `tick`, and tell when the server closed them.
private final class SlowFleet: @unchecked Sendable {
    private let fds: [Int32]
    private let drip: [UInt8]
    private let lock = NSLock()
    private var closed: Set<Int32> = []
    private var sent = 0

    /// Opens all `count` at once: non-blocking connects, then one poll for all of them (a blocking connect
    /// each took 18 s for 6,000, every SYN the full accept queue dropped costing a second in turn).
    init(port: Int, count: Int, drip: [UInt8], timeout: TimeInterval = 5) {
        self.drip = drip
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        var connecting: [Int32] = []
        var failed: [Int32] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc == 0 || errno == EINPROGRESS { connecting.append(fd) } else { failed.append(fd) }
        }
        var done: [Int32] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !connecting.isEmpty, deadline.timeIntervalSinceNow > 0 {
            var polls = connecting.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
            guard poll(&polls, nfds_t(polls.count), 100) >= 0 else { break }
            var still: [Int32] = []
            for p in polls {
                guard p.revents != 0 else { still.append(p.fd); continue }
                var error: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &len)
                if error == 0 { done.append(p.fd) } else { failed.append(p.fd) }
            }
            connecting = still
        }
        for fd in failed + connecting { close(fd) }
        fds = done
    }

    deinit { for fd in fds { close(fd) } }

    var connected: Int { fds.count }

    /// Sends the next byte on every connection still open.
    func tick() {
        let byte = lock.withLock { () -> UInt8? in
            defer { sent += 1 }
            return sent < drip.count ? drip[sent] : nil
        }
        guard var b = byte else { return }
        let open = lock.withLock { fds.filter { !closed.contains($0) } }
        for fd in open { _ = Glibc.send(fd, &b, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// Connections the server has closed (end of stream or reset seen), whatever it answered first.
    func closedCount() -> Int {
        let open = lock.withLock { fds.filter { !closed.contains($0) } }
        var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard !polls.isEmpty, poll(&polls, nfds_t(polls.count), 0) > 0 else { return lock.withLock { closed.count } }
        var buf = [UInt8](repeating: 0, count: 4096)
        var ended: [Int32] = []
        for p in polls where p.revents != 0 {
            while true {
                let n = recv(p.fd, &buf, buf.count, Int32(MSG_DONTWAIT))
                if n > 0 { continue }
                if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { ended.append(p.fd) }
                break
            }
        }
        return lock.withLock {
            closed.formUnion(ended)
            return closed.count
        }
    }
}

/// One byte a second to every fleet, on its own thread.
private final class Dripper: @unchecked Sendable {
    private let fleets: [SlowFleet]
    private let lock = NSLock()
    private var stopped = false

    init(_ fleets: [SlowFleet]) { self.fleets = fleets }

    func start() {
        Thread { [self] in
            while !lock.withLock({ stopped }) {
                for f in fleets { f.tick() }
                sleep(1)
            }
        }.start()
    }

    func stop() { lock.withLock { stopped = true } }
}

private final class LockedCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    func set(_ key: String, _ value: Int) { lock.withLock { values[key] = value } }
    func get(_ key: String) -> Int { lock.withLock { values[key] ?? -1 } }
}
