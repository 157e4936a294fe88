import Foundation
import Glibc
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore
import TestSupport

/// conn_send_vec as a fan-out player uses it: inline header bytes plus a range of a shared buffer, many
/// sends in a row while the peer does not read, so NIO still holds earlier sends' slices when later ones
/// are built. The peer must read every record intact and in order (the inline bytes are written into a
/// reused per-connection scratch buffer; a queued slice must never see a later send's bytes).
final class SendVecTests: XCTestCase {
    static let records = 3000
    static let bodyLength = 1000

    /// The server side: on open, sends every record at once.
    final class Sender: @unchecked Sendable {
        let body: OpaquePointer
        init(body: OpaquePointer) { self.body = body }

        static var callbacks: mr_conn_callbacks {
            var c = mr_conn_callbacks()
            c.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
            c.on_open = { user, conn in
                guard let user else { return }
                let s = Unmanaged<Sender>.fromOpaque(user).takeUnretainedValue()
                for i in 0..<SendVecTests.records {
                    // An 8-byte inline header (record number, twice) and a range that changes with it.
                    var header = [UInt32(i).bigEndian, UInt32(i).bigEndian ^ 0xFFFF_FFFF]
                    let offset = i % 7
                    header.withUnsafeBytes { h in
                        var vec = [mr_iovec(buf: nil, offset: 0, len: 8, bytes: h.baseAddress),
                                   mr_iovec(buf: s.body, offset: offset, len: SendVecTests.bodyLength - 7, bytes: nil)]
                        _ = HostAPITable.table.pointee.conn_send_vec(conn, &vec, 2)
                    }
                }
            }
            c.on_data = { _, _, _, _ in }
            c.on_close = { _, _, _, _ in }
            return c
        }
    }

    func testRecordsStayIntactWhileEarlierSendsAreQueued() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let body = t.buffer((0..<Self.bodyLength).map { UInt8(truncatingIfNeeded: $0 * 7) })
        defer { t.api.buf_release(body) }
        let sender = Sender(body: body)
        t.keepAlive.append(sender)
        let port = try t.listen(Sender.callbacks, user: sender)

        // A small receive buffer, so the sender's socket fills and NIO queues.
        let fd = try XCTUnwrap(LoopbackSocket.connect(port: port, receiveBuffer: 4096), "connect: errno \(errno)")
        defer { close(fd) }
        // Let the sender run into the full socket before reading anything.
        Thread.sleep(forTimeInterval: 0.3)
        let recordLength = 8 + Self.bodyLength - 7
        var stream = [UInt8]()
        stream.reserveCapacity(Self.records * recordLength)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while stream.count < Self.records * recordLength {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            stream += chunk[0..<n]
        }
        XCTAssertEqual(stream.count, Self.records * recordLength)
        let bodyBytes = (0..<Self.bodyLength).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var bad = 0
        for i in 0..<min(Self.records, stream.count / recordLength) {
            let r = stream[(i * recordLength)..<((i + 1) * recordLength)]
            let n = r.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let m = r.dropFirst(4).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let offset = i % 7
            if n != UInt32(i) || m != UInt32(i) ^ 0xFFFF_FFFF || !r.dropFirst(8).elementsEqual(bodyBytes[offset..<(offset + Self.bodyLength - 7)]) {
                bad += 1
            }
        }
        XCTAssertEqual(bad, 0, "records received damaged or out of order")
    }
}
