import Foundation
import XCTest

/// Slowloris on every listener at once: 2,000 connections each to HTTP (httpmux), RTSP and RTMP that send
/// their request (or RTMP handshake) one byte a second. While they are open, a real player plays over each
/// protocol; the header and handshake timeouts (httpmux `request_timeout_ms`, rtsp `header_timeout_ms`, rtmp
/// `handshake_timeout_ms`) then close every one of them, counted from the client side.
final class SlowlorisTests: XCTestCase {
    func testTwoThousandSlowConnectionsPerProtocolAreClosedByTheirTimeoutsWhilePlayersPlay() throws {
        let perProtocol = 2000
        raiseDescriptorLimit(to: 3 * perProtocol + 1024)
        let timeoutMs = 6000
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
        let fds = SlowFleet.open(ports: [http, rtsp, rtmp], count: perProtocol)
        let fleets = [
            ("HTTP", SlowFleet(fds[0], drip: Array("GET /live/a.live.flv HTTP/1.1\r\nHost: x\r\n\r\n".utf8))),
            ("RTSP", SlowFleet(fds[1], drip: Array("OPTIONS rtsp://127.0.0.1/live/a RTSP/1.0\r\nCSeq: 1\r\n\r\n".utf8))),
            ("RTMP", SlowFleet(fds[2], drip: [3] + Array(repeating: 0, count: 1536))),
        ]
        let openedIn = Date().timeIntervalSince(opened)
        for (name, fleet) in fleets { XCTAssertEqual(fleet.connected, perProtocol, "\(name) connections refused") }
        let watcher = FleetWatcher(fleets.map(\.1))
        watcher.start()
        defer { watcher.stop() }

        // While they are open (and dripping), a real player of each protocol gets 2 s at 25 fps. Opening takes
        // a few seconds on a loaded machine (the server accepts ~1,200 a second then), so each connection's
        // timeout runs from its own opening.
        usleep(300_000)
        for (name, fleet) in fleets {
            XCTAssertGreaterThanOrEqual(fleet.openCount, perProtocol * 9 / 10, "\(name) connections closed before the players started")
        }
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
            XCTAssertGreaterThan(fleet.openCount, 0, "\(name): every slow connection was already closed when the players finished (\(playersDone) s)")
        }

        // Each timeout closes them all: each connection lives its timeout, plus the 1 s timer granularity and the
        // wait in the listen queue of one the server had not accepted yet when the client saw it connected.
        let timeout = Double(timeoutMs) / 1000
        let deadline = opened.addingTimeInterval(openedIn + timeout + 3)
        for (name, fleet) in fleets {
            XCTAssertTrue(waitUntil(timeout: max(0.1, deadline.timeIntervalSinceNow)) { fleet.openCount == 0 },
                          "\(name): \(fleet.openCount) of \(perProtocol) still open \(Date().timeIntervalSince(opened)) s after opening")
            let lives = fleet.lifetimes
            XCTAssertGreaterThan(lives.min() ?? timeout, timeout - 0.3, "\(name): closed before its timeout")
            XCTAssertLessThan(lives.max() ?? timeout, timeout + 3, "\(name): closed long after its timeout")
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

/// Connections to one port that send `drip` one byte per tick, and when the server closed each of them.
private final class SlowFleet: @unchecked Sendable {
    private let fds: [Int32]
    private let openedAt: [Int32: Date]
    private let drip: [UInt8]
    private let lock = NSLock()
    private var closedAt: [Int32: Date] = [:]
    private var sent = 0

    init(_ opened: [(fd: Int32, at: Date)], drip: [UInt8]) {
        fds = opened.map(\.fd)
        openedAt = Dictionary(opened.map { ($0.fd, $0.at) }, uniquingKeysWith: { a, _ in a })
        self.drip = drip
    }

    deinit { for fd in fds { close(fd) } }

    var connected: Int { fds.count }
    var openCount: Int { lock.withLock { fds.count - closedAt.count } }
    /// Seconds from each connection's opening to its close, for those closed.
    var lifetimes: [TimeInterval] { lock.withLock { closedAt.compactMap { fd, at in openedAt[fd].map { at.timeIntervalSince($0) } } } }

    private var open: [Int32] { lock.withLock { fds.filter { closedAt[$0] == nil } } }

    /// Sends the next byte on every connection still open.
    func tick() {
        let byte = lock.withLock { () -> UInt8? in
            defer { sent += 1 }
            return sent < drip.count ? drip[sent] : nil
        }
        guard var b = byte else { return }
        for fd in open { _ = Glibc.send(fd, &b, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// Notes the connections the server has closed (end of stream or reset seen), whatever it answered first.
    func checkClosed() {
        var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard !polls.isEmpty, poll(&polls, nfds_t(polls.count), 0) > 0 else { return }
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
        let now = Date()
        lock.withLock { for fd in ended { closedAt[fd] = now } }
    }

    /// `count` connections to each port, opened without blocking in waves of `wave` per port (a blocking
    /// connect each took 18 s for 6,000: every SYN the full accept queue, 256 deep, dropped cost a second in
    /// turn). A wave stays under the listen backlog, and the next one waits a moment for the server to accept.
    static func open(ports: [Int], count: Int, wave: Int = 200, timeout: TimeInterval = 8) -> [[(fd: Int32, at: Date)]] {
        var opened: [[(fd: Int32, at: Date)]] = ports.map { _ in [] }
        var failed: [Int32] = []
        let deadline = Date().addingTimeInterval(timeout)
        while opened.contains(where: { $0.count < count }), deadline.timeIntervalSinceNow > 0 {
            var connecting: [(fd: Int32, port: Int)] = []
            for (i, port) in ports.enumerated() {
                for _ in 0..<min(wave, count - opened[i].count) {
                    guard let fd = startConnect(port: port) else { continue }
                    connecting.append((fd, i))
                }
            }
            while !connecting.isEmpty, deadline.timeIntervalSinceNow > 0 {
                var polls = connecting.map { pollfd(fd: $0.fd, events: Int16(POLLOUT), revents: 0) }
                guard poll(&polls, nfds_t(polls.count), 100) >= 0 else { break }
                let now = Date()
                var still: [(fd: Int32, port: Int)] = []
                for (p, c) in zip(polls, connecting) {
                    guard p.revents != 0 else { still.append(c); continue }
                    var error: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &len)
                    if error == 0 { opened[c.port].append((p.fd, now)) } else { failed.append(p.fd) }
                }
                connecting = still
            }
            failed += connecting.map(\.fd)
            usleep(20_000)
        }
        for fd in failed { close(fd) }
        return opened
    }

    private static func startConnect(port: Int) -> Int32? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 || errno == EINPROGRESS else { close(fd); return nil }
        return fd
    }
}

/// One thread for every fleet: a byte a second to each open connection, and closes noted every 200 ms.
private final class FleetWatcher: @unchecked Sendable {
    private let fleets: [SlowFleet]
    private let lock = NSLock()
    private var stopped = false

    init(_ fleets: [SlowFleet]) { self.fleets = fleets }

    func start() {
        Thread { [self] in
            var round = 0
            while !lock.withLock({ stopped }) {
                if round % 5 == 0 { for f in fleets { f.tick() } }
                for f in fleets { f.checkClosed() }
                round += 1
                usleep(200_000)
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
