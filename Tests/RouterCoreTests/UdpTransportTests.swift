import Foundation
@preconcurrency import PluginABI
import XCTest
import NIOCore
@testable import RouterCore

/// ABI 1.3 UDP through the host table: per-loop groups, batches (with GSO where the kernel has it), corking.
final class UdpTransportTests: XCTestCase {
    /// Records datagrams: (loop the callback ran on, the socket's loop, peer port, bytes).
    final class Inbox: @unchecked Sendable {
        let lock = NSLock()
        var got: [(current: Int32, owner: Int32, peerPort: UInt16, bytes: [UInt8])] = []
        let host: OpaquePointer
        init(host: OpaquePointer) { self.host = host }

        var count: Int { lock.lock(); defer { lock.unlock() }; return got.count }
        var snapshot: [(current: Int32, owner: Int32, peerPort: UInt16, bytes: [UInt8])] { lock.lock(); defer { lock.unlock() }; return got }

        static var callbacks: mr_udp_callbacks {
            var c = mr_udp_callbacks()
            c.size = UInt32(MemoryLayout<mr_udp_callbacks>.size)
            c.on_datagram = { user, sock, data, len, from, _ in
                let inbox = Unmanaged<Inbox>.fromOpaque(user!).takeUnretainedValue()
                let api = HostAPITable.table.pointee
                let port = from.map { UdpTransportTests.port(of: $0) } ?? 0
                let entry = (api.loop_current(inbox.host), api.udp_loop(sock), port, Array(UnsafeBufferPointer(start: data, count: len)))
                inbox.lock.lock(); inbox.got.append(entry); inbox.lock.unlock()
            }
            return c
        }
    }

    static func port(of address: UnsafePointer<sockaddr>) -> UInt16 {
        UnsafeRawPointer(address).withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
    }

    static func loopback(_ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return a
    }

    private func bind(_ t: TestHost, _ inbox: Inbox, loop: Int32 = 0) throws -> OpaquePointer {
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        options.loop = loop
        var cbs = Inbox.callbacks
        var sock: OpaquePointer?
        let rc = "127.0.0.1".withCString { options.bind_address = $0; return t.api.udp_bind(t.host, &options, &cbs, Unmanaged.passUnretained(inbox).toOpaque(), &sock) }
        XCTAssertEqual(rc, Int32(MR_OK), t.api.last_error().map { String(cString: $0) } ?? "")
        return try XCTUnwrap(sock)
    }

    /// Runs `body` on the socket's loop, as a plugin's sends do.
    private func onLoop<T>(_ t: TestHost, _ sock: OpaquePointer, _ body: @escaping () -> T) throws -> T {
        let box = UnsafeSendableBox(body)
        let result = try t.core.pollers.loop(Int(t.api.udp_loop(sock))).submit { UnsafeSendableBox(box.value()) }.wait()
        return result.value
    }

    func testGroupReceivesOnEveryLoopAndAPeerSticksToOneLoop() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let inbox = Inbox(host: t.host)
        t.keepAlive.append(inbox)
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        var cbs = Inbox.callbacks
        var socks = [OpaquePointer?](repeating: nil, count: 2)
        XCTAssertEqual(t.api.udp_bind_group(t.host, &options, &cbs, nil, &socks, 1), Int32(MR_ERR_INVALID), "out too small")
        let rc = "127.0.0.1".withCString { options.bind_address = $0
            return t.api.udp_bind_group(t.host, &options, &cbs, Unmanaged.passUnretained(inbox).toOpaque(), &socks, 2) }
        XCTAssertEqual(rc, Int32(MR_OK), t.api.last_error().map { String(cString: $0) } ?? "")
        let handles = try socks.map { try XCTUnwrap($0) }
        XCTAssertEqual(handles.map { t.api.udp_loop($0) }, [0, 1])
        let port = t.api.udp_port(handles[0])
        XCTAssertNotEqual(port, 0)
        XCTAssertEqual(t.api.udp_port(handles[1]), port)

        // 32 peers, 4 datagrams each: the kernel's 4-tuple hash spreads peers over both sockets (all on one
        // socket has odds of 2^-31) and keeps each peer on its socket.
        var to = Self.loopback(port)
        var peers: [CInt] = []
        for _ in 0..<32 {
            let fd = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), 0)
            XCTAssertGreaterThanOrEqual(fd, 0)
            peers.append(fd)
        }
        defer { for fd in peers { close(fd) } }
        for round in 0..<4 {
            for fd in peers {
                var b = UInt8(round)
                _ = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, &b, 1, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            }
        }
        XCTAssertTrue(waitUntil { inbox.count == 128 }, "got \(inbox.count) of 128")
        let got = inbox.snapshot
        XCTAssertTrue(got.allSatisfy { $0.current == $0.owner }, "every datagram is delivered on its socket's loop")
        let loopsByPeer = Dictionary(grouping: got, by: \.peerPort).mapValues { Set($0.map(\.owner)) }
        XCTAssertEqual(loopsByPeer.count, 32)
        XCTAssertTrue(loopsByPeer.values.allSatisfy { $0.count == 1 }, "a peer sticks to one loop")
        XCTAssertEqual(Set(got.map(\.owner)), [0, 1], "both loops receive")
    }

    func testGroupRefusesMulticast() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        var cbs = Inbox.callbacks
        var socks = [OpaquePointer?](repeating: nil, count: 2)
        let rc = "239.1.1.1".withCString { options.multicast_group = $0; return t.api.udp_bind_group(t.host, &options, &cbs, nil, &socks, 2) }
        XCTAssertEqual(rc, Int32(MR_ERR_INVALID))
    }

    /// `count` datagrams of [4-byte big-endian seq][`size` bytes of a shared buffer], the last `lastSize`.
    private func sendBatch(_ t: TestHost, from sender: OpaquePointer, to port: UInt16, count: Int, size: Int, lastSize: Int,
                           flags: UInt32) throws -> Int32 {
        let shared = t.buffer([UInt8](repeating: 0xAB, count: size))
        defer { t.api.buf_release(shared) }
        return try onLoop(t, sender) {
            var to = Self.loopback(port)
            var seqs = (0..<count).map { UInt32($0).bigEndian }
            var vecs: [mr_iovec] = []
            for i in 0..<count {
                let len = i == count - 1 ? lastSize : size
                vecs.append(mr_iovec(buf: nil, offset: 0, len: 4, bytes: nil))
                vecs.append(mr_iovec(buf: shared, offset: 0, len: len, bytes: nil))
            }
            return seqs.withUnsafeMutableBytes { seqBytes in
                for i in 0..<count { vecs[2 * i].bytes = UnsafeRawPointer(seqBytes.baseAddress! + 4 * i) }
                return withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                    vecs.withUnsafeBufferPointer { v in
                        let datagrams = (0..<count).map {
                            mr_udp_datagram(to: addr, to_len: socklen_t(MemoryLayout<sockaddr_in>.size), vec: v.baseAddress! + 2 * $0, vec_count: 2)
                        }
                        return t.api.udp_send_batch(sender, datagrams, count, flags)
                    }
                } }
            }
        }
    }

    private func seqs(_ inbox: Inbox) -> [UInt32] {
        inbox.snapshot.map { d in d.bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    }

    func testBatchArrivesCompleteAndInOrderWithGsoWhenAvailable() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let inbox = Inbox(host: t.host)
        t.keepAlive.append(inbox)
        let receiver = try bind(t, inbox, loop: 1)
        let sender = try bind(t, Inbox(host: t.host), loop: 0)
        // Twice 100 datagrams of 1004 bytes, the last 504: GSO runs of 64 and 36, the second ending short.
        // (Two batches, each awaited: the receiver's default socket buffer holds about 100 such datagrams.)
        let sock = try XCTUnwrap(UdpSocket.from(sender))
        for round in 1...2 {
            XCTAssertEqual(try sendBatch(t, from: sender, to: t.api.udp_port(receiver), count: 100, size: 1000, lastSize: 500, flags: 0), Int32(MR_OK))
            XCTAssertTrue(waitUntil { inbox.count == 100 * round }, "got \(inbox.count) of \(100 * round)")
            let expected = NIOCore.System.supportsUDPSegmentationOffload ? 2 * round : 0
            XCTAssertEqual(try onLoop(t, sender) { sock.segmentedSends }, expected, "GSO sends when the kernel has GSO")
        }
        XCTAssertEqual(seqs(inbox), (0..<200).map { UInt32($0 % 100) })
        let sizes = Array(repeating: 1004, count: 99) + [504]
        XCTAssertEqual(inbox.snapshot.map(\.bytes.count), sizes + sizes)
        XCTAssertTrue(inbox.snapshot.allSatisfy { $0.bytes.dropFirst(4).allSatisfy { $0 == 0xAB } })
    }

    func testBatchWithoutGsoAndABadDatagramSendsNothing() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let inbox = Inbox(host: t.host)
        t.keepAlive.append(inbox)
        let receiver = try bind(t, inbox, loop: 1)
        let sender = try bind(t, Inbox(host: t.host), loop: 0)
        XCTAssertEqual(try sendBatch(t, from: sender, to: t.api.udp_port(receiver), count: 50, size: 300, lastSize: 300,
                                     flags: UInt32(MR_UDP_SEND_NO_GSO)), Int32(MR_OK))
        XCTAssertTrue(waitUntil { inbox.count == 50 })
        XCTAssertEqual(seqs(inbox), (0..<50).map { UInt32($0) })
        XCTAssertEqual(try onLoop(t, sender) { UdpSocket.from(sender)?.segmentedSends }, 0)

        // A range past its buffer: refused before anything is sent.
        let shared = t.buffer([1, 2, 3])
        defer { t.api.buf_release(shared) }
        let rc: Int32 = try onLoop(t, sender) {
            var to = Self.loopback(t.api.udp_port(receiver))
            var vec = [mr_iovec(buf: shared, offset: 0, len: 3, bytes: nil), mr_iovec(buf: shared, offset: 2, len: 2, bytes: nil)]
            return withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                vec.withUnsafeMutableBufferPointer { v in
                    let d = [mr_udp_datagram(to: addr, to_len: socklen_t(MemoryLayout<sockaddr_in>.size), vec: v.baseAddress!, vec_count: 1),
                             mr_udp_datagram(to: addr, to_len: socklen_t(MemoryLayout<sockaddr_in>.size), vec: v.baseAddress! + 1, vec_count: 1)]
                    return t.api.udp_send_batch(sender, d, 2, 0)
                }
            } }
        }
        XCTAssertEqual(rc, Int32(MR_ERR_INVALID))
        t.sync()
        usleep(50_000)
        XCTAssertEqual(inbox.count, 50, "the good first datagram was not sent either")
    }

    /// A receiving socket on loop 1 (its inbox and port) and a sending one on loop 0.
    private func senderAndReceiver(_ t: TestHost) throws -> (Inbox, sender: OpaquePointer, port: UInt16) {
        let inbox = Inbox(host: t.host)
        t.keepAlive.append(inbox)
        let receiver = try bind(t, inbox, loop: 1)
        let sender = try bind(t, Inbox(host: t.host), loop: 0)
        return (inbox, sender, t.api.udp_port(receiver))
    }

    func testCorkedSendsWaitForTheFlush() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let (inbox, sender, port) = try senderAndReceiver(t)
        let payload = t.buffer([7, 7])
        defer { t.api.buf_release(payload) }
        try onLoop(t, sender) {
            t.api.udp_cork(sender, 1)
            var to = Self.loopback(port)
            var list: [OpaquePointer?] = [payload]
            for _ in 0..<10 {
                _ = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    t.api.udp_send(sender, $0, socklen_t(MemoryLayout<sockaddr_in>.size), &list, 1) } }
            }
        }
        t.sync()
        usleep(100_000)
        XCTAssertEqual(inbox.count, 0, "corked: nothing sent yet")
        XCTAssertEqual(try onLoop(t, sender) { t.api.udp_flush(sender) }, Int32(MR_OK))
        XCTAssertTrue(waitUntil { inbox.count == 10 })
        XCTAssertEqual(t.api.udp_flush(nil), Int32(MR_ERR_INVALID))
    }

    /// A datagram the kernel refuses for reasons of its own (here EACCES: broadcast without SO_BROADCAST, as a
    /// firewall's EPERM would be) costs that datagram only: NIO would have closed the socket every peer shares.
    func testADatagramTheKernelRefusesDoesNotCloseTheSocket() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let (inbox, sender, port) = try senderAndReceiver(t)
        let payload = t.buffer([1, 2, 3, 4])
        defer { t.api.buf_release(payload) }
        var broadcast = Self.loopback(port)
        broadcast.sin_addr.s_addr = UInt32(0xFFFF_FFFF).bigEndian
        for round in 1...3 {
            try onLoop(t, sender) {
                let good = Self.loopback(port)
                var list: [OpaquePointer?] = [payload]
                for var to in [good, broadcast, good] {
                    _ = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        t.api.udp_send(sender, $0, socklen_t(MemoryLayout<sockaddr_in>.size), &list, 1) } }
                }
            }
            XCTAssertTrue(waitUntil { inbox.count == 2 * round }, "round \(round): got \(inbox.count)")
        }
        let sock = try XCTUnwrap(UdpSocket.from(sender))
        XCTAssertEqual(try onLoop(t, sender) { sock.closed }, false)
        XCTAssertEqual(try onLoop(t, sender) { sock.sendErrors }, 3)
    }
}
