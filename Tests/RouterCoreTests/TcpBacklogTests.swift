import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// A send of more buffers than NIO should queue at once (a new player's GOP) goes out in chunks: every byte
/// arrives in order, later sends wait behind it, the plugin is held "not writable" meanwhile, and a
/// graceful close still delivers the whole backlog.
final class TcpBacklogTests: XCTestCase {
    /// The listening side: on open it sends a burst of `pieces` numbered pieces, then two small sends.
    final class Sender: @unchecked Sendable {
        let lock = NSLock()
        var writable: [Int32] = []
        var conn: OpaquePointer?
        var heldDuringBurst: Int32 = -1
        var conns: [OpaquePointer] { lock.lock(); defer { lock.unlock() }; return conn.map { [$0] } ?? [] }
        var writableCalls: [Int32] { lock.lock(); defer { lock.unlock() }; return writable }
    }

    /// The connecting side: collects the bytes and the close.
    final class Receiver: @unchecked Sendable {
        let lock = NSLock()
        var conn: OpaquePointer?
        var received = Data()
        var closed = false
        var bytes: Data { lock.lock(); defer { lock.unlock() }; return received }
        var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }
    }

    static let pieces = 600   // well over TcpConnection.chunkBuffers
    // 600 x 14 KB, twice: more than the socket buffers take while the receiver does not read.
    static let payload = [UInt8](repeating: 0x5A, count: 14_000)

    /// The bytes a burst of `pieces` sends: each piece is a 4-byte inline number, then the shared payload.
    static func burst(_ tag: UInt8) -> Data {
        var d = Data()
        for i in 0..<pieces {
            d.append(contentsOf: [tag, UInt8(i >> 16 & 0xFF), UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)])
            d.append(contentsOf: payload)
        }
        return d
    }

    static func sendBurst(_ conn: OpaquePointer?, _ shared: OpaquePointer, tag: UInt8) -> Int32 {
        let api = HostAPITable.table.pointee
        var headers = [UInt8]()
        for i in 0..<pieces { headers += [tag, UInt8(i >> 16 & 0xFF), UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)] }
        return headers.withUnsafeBytes { raw in
            var vec: [mr_iovec] = []
            for i in 0..<pieces {
                vec.append(mr_iovec(buf: nil, offset: 0, len: 4, bytes: raw.baseAddress.map { $0 + 4 * i }))
                vec.append(mr_iovec(buf: shared, offset: 0, len: payload.count, bytes: nil))
            }
            return vec.withUnsafeBufferPointer { api.conn_send_vec(conn, $0.baseAddress, $0.count) }
        }
    }

    private func run(closeAfter: Bool) throws -> (Sender, Receiver, expected: Data) {
        let t = TestHost()
        defer { t.shutdown() }
        let sender = Sender(), receiver = Receiver()
        let shared = t.buffer(Self.payload)
        t.keepAlive += [sender, receiver]

        var server = mr_conn_callbacks()
        server.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
        server.on_open = { user, conn in
            let s = Unmanaged<Sender>.fromOpaque(user!).takeUnretainedValue()
            s.lock.lock(); s.conn = conn; s.lock.unlock()
        }
        server.on_data = { _, _, _, _ in }
        server.on_writable = { user, _, writable in
            let s = Unmanaged<Sender>.fromOpaque(user!).takeUnretainedValue()
            s.lock.lock(); s.writable.append(writable); s.lock.unlock()
        }
        server.on_close = { _, _, _, _ in }
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        var listener: OpaquePointer?
        let rc = "127.0.0.1".withCString { bind in
            options.bind_address = bind
            return t.api.tcp_listen(t.host, &options, &server, Unmanaged.passUnretained(sender).toOpaque(), &listener)
        }
        XCTAssertEqual(rc, Int32(MR_OK))

        var client = mr_conn_callbacks()
        client.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
        client.on_open = { user, conn in
            // Not reading until the bursts are queued, so they cannot all go into the socket at once.
            HostAPITable.table.pointee.conn_set_reading(conn, 0)
            let r = Unmanaged<Receiver>.fromOpaque(user!).takeUnretainedValue()
            r.lock.lock(); r.conn = conn; r.lock.unlock()
        }
        client.on_data = { user, _, data, len in
            let r = Unmanaged<Receiver>.fromOpaque(user!).takeUnretainedValue()
            r.lock.lock(); r.received.append(data!, count: len); r.lock.unlock()
        }
        client.on_close = { user, _, _, _ in
            let r = Unmanaged<Receiver>.fromOpaque(user!).takeUnretainedValue()
            r.lock.lock(); r.closed = true; r.lock.unlock()
        }
        var connect = mr_connect_options()
        connect.size = UInt32(MemoryLayout<mr_connect_options>.size)
        connect.port = t.api.listener_port(try XCTUnwrap(listener))
        XCTAssertEqual("127.0.0.1".withCString { h in
            connect.host = h
            return t.api.tcp_connect(t.host, &connect, &client, Unmanaged.passUnretained(receiver).toOpaque())
        }, Int32(MR_OK))
        XCTAssertTrue(waitUntil { !sender.conns.isEmpty && receiver.lock.withLock { receiver.conn != nil } })
        let conn = try XCTUnwrap(sender.conns.first)
        let reading = try XCTUnwrap(receiver.lock.withLock { receiver.conn })

        // On the connection's loop, as a plugin's frame callback would: a burst, then small sends behind it.
        let tail = Array("tail-1".utf8), last = Array("tail-2".utf8)
        let done = DispatchSemaphore(value: 0)
        try XCTUnwrap(TcpConnection.from(conn)).channel.eventLoop.execute {
            XCTAssertEqual(Self.sendBurst(conn, shared, tag: 1), Int32(MR_OK))
            _ = tail.withUnsafeBytes { t.api.conn_send_bytes(conn, $0.baseAddress, $0.count) }
            XCTAssertEqual(Self.sendBurst(conn, shared, tag: 2), Int32(MR_OK))
            sender.lock.lock(); sender.heldDuringBurst = t.api.conn_writable(conn); sender.lock.unlock()
            // Held by the core, not in NIO's queue: what NIO holds is at most a chunk of it.
            XCTAssertGreaterThan(TcpConnection.from(conn)?.backlog.count ?? 0, TcpConnection.chunkBuffers)
            _ = last.withUnsafeBytes { t.api.conn_send_bytes(conn, $0.baseAddress, $0.count) }
            if closeAfter { t.api.conn_close(conn, 0) }
            done.signal()
        }
        done.wait()
        try XCTUnwrap(TcpConnection.from(reading)).channel.eventLoop.execute { t.api.conn_set_reading(reading, 1) }
        var expected = Self.burst(1)
        expected.append(contentsOf: tail)
        expected.append(Self.burst(2))
        expected.append(contentsOf: last)
        XCTAssertTrue(waitUntil(timeout: 10) { receiver.bytes.count >= expected.count })
        if closeAfter {
            XCTAssertTrue(waitUntil { receiver.isClosed })
        } else {
            XCTAssertTrue(waitUntil { sender.writableCalls.last == 1 })
        }
        t.api.buf_release(shared)
        return (sender, receiver, expected)
    }

    func testBurstArrivesWholeAndInOrderAndHoldsWritability() throws {
        let (sender, receiver, expected) = try run(closeAfter: false)
        XCTAssertEqual(receiver.bytes.count, expected.count)
        XCTAssertTrue(receiver.bytes == expected, "bytes out of order or changed")
        XCTAssertEqual(sender.heldDuringBurst, 0, "conn_writable must say no while the backlog drains")
        XCTAssertEqual(sender.writableCalls.first, 0)
        XCTAssertEqual(sender.writableCalls.last, 1)
    }

    func testGracefulCloseSendsTheWholeBacklogFirst() throws {
        let (_, receiver, expected) = try run(closeAfter: true)
        XCTAssertTrue(receiver.isClosed)
        XCTAssertTrue(receiver.bytes == expected, "a graceful close lost or reordered backlog bytes")
    }
}
