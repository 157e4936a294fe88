import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// Direct writes of a plain accepted connection (TcpConnection+Direct.swift): what the kernel does not take
/// goes to NIO and arrives whole and in order, the connection writes directly again once NIO has drained, a
/// peer that goes away mid-write ends the connection (and its descriptor is not written to afterwards), and
/// a failed direct write closes with the error.
final class TcpDirectWriteTests: XCTestCase {
    /// One end of the pair: its connection, the bytes it read, its closes.
    final class Side: @unchecked Sendable {
        let lock = NSLock()
        var conn: OpaquePointer?
        var received = Data()
        var closes: [(reason: Int32, message: String)] = []
        /// The client side pauses its reading at open, so the sender's socket fills.
        let pauseAtOpen: Bool
        init(pauseAtOpen: Bool) { self.pauseAtOpen = pauseAtOpen }

        var connection: OpaquePointer? { lock.withLock { conn } }
        var bytes: Data { lock.withLock { received } }
        var closeList: [(reason: Int32, message: String)] { lock.withLock { closes } }

        static var callbacks: mr_conn_callbacks {
            var c = mr_conn_callbacks()
            c.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
            c.on_open = { user, conn in
                let s = Unmanaged<Side>.fromOpaque(user!).takeUnretainedValue()
                if s.pauseAtOpen { HostAPITable.table.pointee.conn_set_reading(conn, 0) }
                s.lock.withLock { s.conn = conn }
            }
            c.on_data = { user, _, data, len in
                let s = Unmanaged<Side>.fromOpaque(user!).takeUnretainedValue()
                s.lock.withLock { s.received.append(data!, count: len) }
            }
            c.on_close = { user, _, reason, message in
                let s = Unmanaged<Side>.fromOpaque(user!).takeUnretainedValue()
                s.lock.withLock { s.closes.append((reason, String(cString: message!))) }
            }
            return c
        }
    }

    /// A plain listener of `t` whose accepted connections send, and one client of it (reading paused).
    private func connect(_ t: TestHost) throws -> (sender: Side, reader: Side, port: UInt16) {
        let sender = Side(pauseAtOpen: false)
        t.keepAlive.append(sender)
        let port = try t.listen(Side.callbacks, user: sender)
        let reader = try dial(t, port: port)
        XCTAssertTrue(waitUntil { sender.connection != nil })
        return (sender, reader, port)
    }

    /// A client of the listener on `port`, reading paused.
    private func dial(_ t: TestHost, port: UInt16) throws -> Side {
        let reader = Side(pauseAtOpen: true)
        t.keepAlive.append(reader)
        XCTAssertEqual(t.dial(port: port, Side.callbacks, user: reader), Int32(MR_OK))
        XCTAssertTrue(waitUntil { reader.connection != nil })
        return reader
    }

    /// Runs `body` on the connection's loop and waits for it.
    private func onLoop<T>(_ conn: OpaquePointer, _ body: @escaping (TcpConnection) -> T) throws -> T {
        let c = try XCTUnwrap(TcpConnection.from(conn))
        let call = UnsafeSendableBox((c, body))
        return try c.channel.eventLoop.submit { UnsafeSendableBox(call.value.1(call.value.0)) }.wait().value
    }

    /// Piece `i`: its number, then 8 KB that depend on it, so a lost, repeated or reordered range shows.
    static func piece(_ i: Int) -> [UInt8] {
        [UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)] + (0..<8190).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i &* 7) }
    }

    static func send(_ conn: OpaquePointer, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { HostAPITable.table.pointee.conn_send_bytes(conn, $0.baseAddress, $0.count) }
    }

    func testShortWritesGoToNioInOrderAndDirectWritesResumeAfterIt() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let (sender, reader, _) = try connect(t)
        let conn = try XCTUnwrap(sender.connection)
        var expected = Data()
        // 2 MB while the peer does not read: far more than its receive buffer and the 16 KB unsent limit.
        let pieces = 256
        for i in 0..<pieces { expected.append(contentsOf: Self.piece(i)) }
        let (directAtFirst, queuedAfter, directAfter) = try onLoop(conn) { c -> (Bool, Int, Bool) in
            let direct = c.writesDirectly
            for i in 0..<pieces { XCTAssertEqual(Self.send(conn, Self.piece(i)), Int32(MR_OK)) }
            return (direct, c.nioWritesInFlight, c.writesDirectly)
        }
        XCTAssertTrue(directAtFirst, "an accepted plain connection with nothing queued writes directly")
        XCTAssertGreaterThan(queuedAfter, 0, "the kernel took only part: the rest must wait in NIO")
        XCTAssertFalse(directAfter, "no direct write while NIO holds earlier bytes")

        let reading = try XCTUnwrap(reader.connection)
        _ = try onLoop(reading) { _ in t.api.conn_set_reading(reading, 1) }
        XCTAssertTrue(waitUntil(timeout: 10) { reader.bytes.count >= expected.count })
        XCTAssertEqual(reader.bytes.count, expected.count)
        XCTAssertTrue(reader.bytes == expected, "bytes lost, repeated or out of order across the switch to NIO")

        // NIO has written everything: the next sends go directly again, and arrive after the rest.
        XCTAssertTrue(waitUntil { (try? self.onLoop(conn) { $0.writesDirectly }) == true })
        let more = try onLoop(conn) { c -> Int in
            for i in pieces..<(pieces + 4) { XCTAssertEqual(Self.send(conn, Self.piece(i)), Int32(MR_OK)) }
            return c.nioWritesInFlight
        }
        XCTAssertEqual(more, 0, "a reading peer's socket takes a few pieces without NIO")
        for i in pieces..<(pieces + 4) { expected.append(contentsOf: Self.piece(i)) }
        XCTAssertTrue(waitUntil(timeout: 10) { reader.bytes.count >= expected.count })
        XCTAssertTrue(reader.bytes == expected)
    }

    /// conn_send_vec writes its pieces straight from the shared buffers and the plugin's inline bytes; once
    /// the socket is full, what it did not take must be copied before the call returns (a player reuses its
    /// header scratch for the next frame).
    func testVectorSendsKeepTheirInlineBytesWhenTheSocketFills() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let (sender, reader, _) = try connect(t)
        let conn = try XCTUnwrap(sender.connection)
        let pieces = 256
        var expected = Data()
        let payloads = (0..<pieces).map { i in t.buffer(Array(Self.piece(i).dropFirst(2))) }
        defer { payloads.forEach { t.api.buf_release($0) } }
        for i in 0..<pieces { expected.append(contentsOf: Self.piece(i)) }
        let header = UnsafeMutableRawPointer.allocate(byteCount: 2, alignment: 1)
        defer { header.deallocate() }
        let box = UnsafeSendableBox((header, payloads))
        let (directAtFirst, queuedAfter) = try onLoop(conn) { c -> (Bool, Int) in
            let (header, payloads) = box.value
            let direct = c.writesDirectly
            for i in 0..<pieces {
                header.storeBytes(of: UInt8(i >> 8 & 0xFF), as: UInt8.self)
                header.storeBytes(of: UInt8(i & 0xFF), toByteOffset: 1, as: UInt8.self)
                var vec = [mr_iovec(buf: nil, offset: 0, len: 2, bytes: UnsafeRawPointer(header)),
                           mr_iovec(buf: payloads[i], offset: 0, len: 8190, bytes: nil)]
                XCTAssertEqual(HostAPITable.table.pointee.conn_send_vec(conn, &vec, 2), Int32(MR_OK))
                header.storeBytes(of: UInt16(0xEEEE), as: UInt16.self)   // the plugin reuses its scratch
            }
            return (direct, c.nioWritesInFlight)
        }
        XCTAssertTrue(directAtFirst)
        XCTAssertGreaterThan(queuedAfter, 0, "the kernel took only part: the rest must wait in NIO")
        let reading = try XCTUnwrap(reader.connection)
        _ = try onLoop(reading) { _ in t.api.conn_set_reading(reading, 1) }
        XCTAssertTrue(waitUntil(timeout: 10) { reader.bytes.count >= expected.count })
        XCTAssertEqual(reader.bytes.count, expected.count)
        XCTAssertTrue(reader.bytes == expected, "inline bytes lost, changed or reordered across the switch to NIO")

        // Caught up: the next vector send goes straight out and lets the backlog's inline scratch go, so a
        // player that keeps up holds none.
        XCTAssertTrue(waitUntil { (try? self.onLoop(conn) { $0.writesDirectly }) == true })
        let scratch = try onLoop(conn) { c -> (before: Int, after: Int) in
            let before = c.scratchCapacity
            var vec = [mr_iovec(buf: nil, offset: 0, len: 2, bytes: UnsafeRawPointer(box.value.0))]
            XCTAssertEqual(HostAPITable.table.pointee.conn_send_vec(conn, &vec, 1), Int32(MR_OK))
            return (before, c.scratchCapacity)
        }
        XCTAssertGreaterThan(scratch.before, 0, "the backlog's inline bytes were copied into the scratch")
        XCTAssertEqual(scratch.after, 0)
    }

    func testPeerGoneMidWriteClosesAndTheListenerServesTheNextConnection() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let (sender, reader, port) = try connect(t)
        let conn = try XCTUnwrap(sender.connection)
        let queued = try onLoop(conn) { c -> Int in
            for i in 0..<256 { _ = Self.send(conn, Self.piece(i)) }
            return c.nioWritesInFlight
        }
        XCTAssertGreaterThan(queued, 0)
        // The reader goes away with unread bytes: its kernel resets the connection.
        let reading = try XCTUnwrap(reader.connection)
        _ = try onLoop(reading) { _ in t.api.conn_close(reading, 1) }
        XCTAssertTrue(waitUntil { sender.closeList.count == 1 }, "the sender must hear of the reset")
        XCTAssertEqual(sender.closeList.first?.reason, Int32(bitPattern: MR_CLOSE_ERROR.rawValue))

        // A new connection may get the same descriptor number: it must see only its own bytes.
        let secondReader = try dial(t, port: port)
        XCTAssertTrue(waitUntil { sender.connection != conn })
        let next = try XCTUnwrap(sender.connection)
        let hello = Array("hello, second".utf8)
        _ = try onLoop(next) { _ in Self.send(next, hello) }
        let secondReading = try XCTUnwrap(secondReader.connection)
        _ = try onLoop(secondReading) { _ in t.api.conn_set_reading(secondReading, 1) }
        XCTAssertTrue(waitUntil { secondReader.bytes.count >= hello.count })
        usleep(100_000)
        XCTAssertEqual(Array(secondReader.bytes), hello)
    }

    func testFailedDirectWriteClosesWithTheError() throws {
        // One loop: the reset and the send happen in one task, before NIO can see the reset itself.
        let t = TestHost(threads: 1)
        defer { t.shutdown() }
        let (sender, reader, _) = try connect(t)
        let conn = try XCTUnwrap(sender.connection)
        let reading = try XCTUnwrap(reader.connection)
        _ = try onLoop(conn) { _ in Self.send(conn, Array("unread".utf8)) }
        let (direct, closed, message, later) = try onLoop(conn) { c -> (Bool, Bool, String, Int32) in
            let direct = c.writesDirectly
            // Unread bytes: the abortive close resets the connection at once (loopback delivers it in the call).
            t.api.conn_close(reading, 1)
            _ = Self.send(conn, Array("after the reset".utf8))
            return (direct, c.closed, c.errorMessage ?? "", Self.send(conn, [1]))
        }
        XCTAssertTrue(direct)
        XCTAssertTrue(closed, "a direct write that fails must close the connection within the send")
        XCTAssertTrue(message.contains("sendmsg"), message)
        XCTAssertEqual(later, Int32(MR_ERR_CLOSED))
        XCTAssertTrue(waitUntil { sender.closeList.count == 1 })
        XCTAssertEqual(sender.closeList.first?.reason, Int32(bitPattern: MR_CLOSE_ERROR.rawValue))
    }
}
