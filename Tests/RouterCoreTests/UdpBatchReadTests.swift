import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// The core's batched UDP reads (UdpBatchRead): datagrams that wait while a loop is busy come with recvmmsg, in
/// order, whole, each with its own sender; a close from a callback stops the reading at once; the receive area
/// is per loop thread, not per socket.
final class UdpBatchReadTests: XCTestCase {
    /// Records (sender port, bytes); closes its socket after `closeAfter` datagrams when set.
    final class Inbox: @unchecked Sendable {
        let lock = NSLock()
        var got: [(peerPort: UInt16, bytes: [UInt8])] = []
        var closeAfter: Int?
        var count: Int { lock.lock(); defer { lock.unlock() }; return got.count }
        var snapshot: [(peerPort: UInt16, bytes: [UInt8])] { lock.lock(); defer { lock.unlock() }; return got }

        static var callbacks: mr_udp_callbacks {
            var c = mr_udp_callbacks()
            c.size = UInt32(MemoryLayout<mr_udp_callbacks>.size)
            c.on_datagram = { user, sock, data, len, from, _ in
                guard let user else { return }
                let inbox = Unmanaged<Inbox>.fromOpaque(user).takeUnretainedValue()
                let port = from.map { UdpTransportTests.port(of: $0) } ?? 0
                inbox.lock.lock()
                inbox.got.append((port, Array(UnsafeBufferPointer(start: data, count: len))))
                let close = inbox.closeAfter == inbox.got.count
                inbox.lock.unlock()
                if close { HostAPITable.table.pointee.udp_close(sock) }
            }
            return c
        }
    }

    static func bind(_ t: TestHost, _ inbox: Inbox, loop: Int32, readIntervalMs: Int32 = 0) throws -> OpaquePointer {
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        options.loop = loop
        options.read_interval_ms = readIntervalMs
        options.recv_buffer = 1 << 20
        var cbs = Inbox.callbacks
        var sock: OpaquePointer?
        let rc = "127.0.0.1".withCString { options.bind_address = $0; return t.api.udp_bind(t.host, &options, &cbs, Unmanaged.passUnretained(inbox).toOpaque(), &sock) }
        XCTAssertEqual(rc, Int32(MR_OK), t.api.last_error().map { String(cString: $0) } ?? "")
        return try XCTUnwrap(sock)
    }

    /// A plain UDP socket on 127.0.0.1 and its port.
    static func peer() throws -> (fd: CInt, port: UInt16) {
        let fd = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var a = UdpTransportTests.loopback(0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
            Glibc.bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0 } }
        XCTAssertTrue(bound)
        return (fd, UInt16(bigEndian: a.sin_port))
    }

    static func send(_ fd: CInt, _ bytes: [UInt8], to port: UInt16) {
        var to = UdpTransportTests.loopback(port)
        let sent = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(sent, bytes.count)
    }

    /// Holds `loop` until the returned semaphore is signalled, so datagrams queue in the kernel meanwhile.
    static func hold(_ t: TestHost, loop: Int) -> DispatchSemaphore {
        let release = DispatchSemaphore(value: 0), held = DispatchSemaphore(value: 0)
        t.core.pollers.loop(loop).execute { held.signal(); release.wait() }
        held.wait()
        return release
    }

    /// Datagram i: [i][i's size - 1 bytes of i], from peer i % 2; datagram 20 is 60,000 bytes.
    private static func datagram(_ i: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(i), count: i == 20 ? 60_000 : 1 + (i * 37) % 1400)
    }

    func testQueuedDatagramsArriveInOrderWholeWithTheirSenders() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let inbox = Inbox()
        t.keepAlive.append(inbox)
        let receiver = try Self.bind(t, inbox, loop: 1)
        let port = t.api.udp_port(receiver)
        let peers = [try Self.peer(), try Self.peer()]
        defer { peers.forEach { close($0.fd) } }
        let release = Self.hold(t, loop: 1)
        for i in 0..<50 { Self.send(peers[i % 2].fd, Self.datagram(i), to: port) }
        release.signal()
        XCTAssertTrue(waitUntil { inbox.count == 50 }, "got \(inbox.count) of 50")
        let got = inbox.snapshot
        XCTAssertEqual(got.map(\.bytes), (0..<50).map(Self.datagram), "in order and whole (the 60,000-byte one too)")
        XCTAssertEqual(got.map(\.peerPort), (0..<50).map { peers[$0 % 2].port }, "each with its own sender")
        let sock = try XCTUnwrap(UdpSocket.from(receiver))
        let batched = try t.core.pollers.loop(1).submit { sock.batchedDatagrams }.wait()
        XCTAssertEqual(batched, 49, "NIO read the first, recvmmsg the 49 that waited")
    }

    func testACloseFromTheCallbackStopsTheReading() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let inbox = Inbox()
        inbox.closeAfter = 3
        t.keepAlive.append(inbox)
        let receiver = try Self.bind(t, inbox, loop: 1)
        let port = t.api.udp_port(receiver)
        let sender = try Self.peer()
        defer { close(sender.fd) }
        let release = Self.hold(t, loop: 1)
        for i in 0..<10 { Self.send(sender.fd, [UInt8(i)], to: port) }
        release.signal()
        XCTAssertTrue(waitUntil { inbox.count >= 3 })
        t.sync()
        usleep(50_000)
        XCTAssertEqual(inbox.snapshot.map(\.bytes), [[0], [1], [2]], "nothing after the close, though 7 more had been read")
    }

    func testTheReceiveAreaIsPerLoopNotPerSocket() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        // Loop threads of earlier tests may end (and free theirs) meanwhile: that only lowers the count.
        let before = UdpBatchRead.receiveAreas
        let inbox = Inbox()
        t.keepAlive.append(inbox)
        let sockets = try (0..<40).map { try Self.bind(t, inbox, loop: Int32($0 % 2)) }
        let sender = try Self.peer()
        defer { close(sender.fd) }
        let releases = [Self.hold(t, loop: 0), Self.hold(t, loop: 1)]
        for s in sockets {
            for i in 0..<3 { Self.send(sender.fd, [UInt8(i)], to: t.api.udp_port(s)) }
        }
        releases.forEach { $0.signal() }
        XCTAssertTrue(waitUntil { inbox.count == 120 }, "got \(inbox.count) of 120")
        XCTAssertLessThanOrEqual(UdpBatchRead.receiveAreas - before, 2, "one area per loop thread for 40 sockets")
        let handles = try sockets.map { try XCTUnwrap(UdpSocket.from($0)) }
        let batched = try (0..<2).map { loop in
            try t.core.pollers.loop(loop).submit { handles.filter { $0.loopIndex == loop }.reduce(0) { $0 + $1.batchedDatagrams } }.wait()
        }
        XCTAssertEqual(batched, [40, 40], "on each loop, the two datagrams per socket after NIO's first came with recvmmsg")
    }
}
