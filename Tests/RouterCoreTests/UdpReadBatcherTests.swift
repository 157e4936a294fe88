import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// mr_udp_options.read_interval_ms (UdpReadBatcher): a trickle socket is read in timed passes, not one loop
/// wakeup per datagram; nothing is lost or reordered; a quiet socket, a burst larger than a pass and a close
/// each put it back on readiness; a plugin built for 1.5 never gets it.
final class UdpReadBatcherTests: XCTestCase {
    private typealias Kit = UdpBatchReadTests

    /// Datagrams NIO read (one loop wakeup each) rather than a recvmmsg of the core's.
    private func nioReads(_ t: TestHost, _ handle: OpaquePointer, total: Int) throws -> Int {
        let sock = try XCTUnwrap(UdpSocket.from(handle))
        return try t.core.pollers.loop(sock.loopIndex).submit { total - sock.batchedDatagrams }.wait()
    }

    private func mode(_ t: TestHost, _ handle: OpaquePointer) throws -> UdpSocket.ReadMode {
        let sock = try XCTUnwrap(UdpSocket.from(handle))
        return try t.core.pollers.loop(sock.loopIndex).submit { sock.readMode }.wait()
    }

    /// A socket with a read interval on `loop` that has received datagram [0] and is read by the timer now.
    private struct Batched {
        let t: TestHost
        let inbox = Kit.Inbox()
        let receiver: OpaquePointer
        let port: UInt16
        let sender: (fd: CInt, port: UInt16)

        init(_ test: UdpReadBatcherTests, loop: Int32, interval: Int32) throws {
            t = TestHost(threads: 2)
            t.keepAlive.append(inbox)
            receiver = try Kit.bind(t, inbox, loop: loop, readIntervalMs: interval)
            port = t.api.udp_port(receiver)
            sender = try Kit.peer()
            Kit.send(sender.fd, [0], to: port)
            XCTAssertTrue(waitUntil { inbox.count == 1 })
            XCTAssertEqual(try test.mode(t, receiver), .batched)
        }

        func send(_ bytes: [UInt8]) { Kit.send(sender.fd, bytes, to: port) }

        func finish() {
            close(sender.fd)
            t.shutdown()
        }
    }

    func testATrickleIsReadInTimedPassesNotOneWakeupPerDatagram() throws {
        for interval: Int32 in [0, 20] {
            let t = TestHost(threads: 2)
            defer { t.shutdown() }
            let inbox = Kit.Inbox()
            t.keepAlive.append(inbox)
            let receiver = try Kit.bind(t, inbox, loop: 1, readIntervalMs: interval)
            let port = t.api.udp_port(receiver)
            let sender = try Kit.peer()
            defer { close(sender.fd) }
            for i in 0..<40 {
                Kit.send(sender.fd, [UInt8(i)], to: port)
                usleep(3_000)
            }
            XCTAssertTrue(waitUntil { inbox.count == 40 }, "interval \(interval): got \(inbox.count) of 40")
            XCTAssertEqual(inbox.snapshot.map(\.bytes), (0..<40).map { [UInt8($0)] }, "in order")
            let reads = try nioReads(t, receiver, total: 40)
            if interval == 0 {
                XCTAssertGreaterThan(reads, 25, "3 ms apart, each datagram woke the loop")
            } else {
                // The first; a second only if the sender stalled past the quiet time.
                XCTAssertLessThanOrEqual(reads, 2, "after the first, timed passes read them")
            }
        }
    }

    func testADatagramWaitsAtMostAboutOneInterval() throws {
        let b = try Batched(self, loop: 0, interval: 20)
        defer { b.finish() }
        var worst = 0.0
        for i in 1...10 {
            let sent = Date()
            b.send([UInt8(i)])
            XCTAssertTrue(waitUntil { b.inbox.count == i + 1 })
            worst = max(worst, Date().timeIntervalSince(sent))
        }
        // 20 ms plus scheduling slack on a busy 2-core machine.
        XCTAssertLessThan(worst, 0.15, "worst wait \(worst) s")
        XCTAssertEqual(try nioReads(b.t, b.receiver, total: 11), 1)
    }

    func testAQuietSocketGoesBackToReadiness() throws {
        let b = try Batched(self, loop: 1, interval: 10)
        defer { b.finish() }
        let (t, receiver) = (b.t, b.receiver)
        XCTAssertTrue(waitUntil(timeout: 3) { (try? self.mode(t, receiver)) == .onReadiness }, "back on readiness after 500 ms quiet")
        let batcher = t.core.pollers.udpReadBatcher(1)
        XCTAssertEqual(try t.core.pollers.loop(1).submit { batcher.batchedSockets }.wait(), 0, "its timer has nothing left")
        b.send([1])
        XCTAssertTrue(waitUntil { b.inbox.count == 2 }, "readiness wakes the loop again")
        XCTAssertEqual(try nioReads(t, receiver, total: 2), 2)
    }

    func testABurstLargerThanAPassGoesBackToReadinessAndLosesNothing() throws {
        let b = try Batched(self, loop: 1, interval: 20)
        defer { b.finish() }
        let inbox = b.inbox
        // More than a pass takes (UdpBatchRead.maxCalls x 16) queue while the loop is held.
        let burst = UdpBatchRead.maxCalls * UdpBatchRead.slots + 36
        let release = Kit.hold(b.t, loop: 1)
        for i in 1...burst { b.send([UInt8(i & 0xff), UInt8(i >> 8)]) }
        release.signal()
        XCTAssertTrue(waitUntil { inbox.count == burst + 1 }, "got \(inbox.count) of \(burst + 1)")
        XCTAssertEqual(inbox.snapshot.dropFirst().map(\.bytes), (1...burst).map { [UInt8($0 & 0xff), UInt8($0 >> 8)] }, "in order")
        // The pass that found more waiting handed the socket back to NIO, whose readiness read the rest at once
        // (one more NIO read), rather than leaving them to the next pass.
        XCTAssertEqual(try nioReads(b.t, b.receiver, total: burst + 1), 2)
    }

    func testACloseWhileBatchedLeavesTheTimer() throws {
        let b = try Batched(self, loop: 0, interval: 10)
        defer { b.finish() }
        let (t, receiver) = (b.t, b.receiver)
        let batcher = t.core.pollers.udpReadBatcher(0)
        XCTAssertEqual(try t.core.pollers.loop(0).submit { batcher.batchedSockets }.wait(), 1)
        try t.core.pollers.loop(0).submit { t.api.udp_close(receiver) }.wait()
        b.send([1])
        XCTAssertTrue(waitUntil { (try? t.core.pollers.loop(0).submit { batcher.batchedSockets }.wait()) == 0 })
        usleep(50_000)
        XCTAssertEqual(b.inbox.count, 1, "nothing read after the close")
    }

    func testOnlyPluginsBuiltFor16GetIt() {
        var o = mr_udp_options()
        o.read_interval_ms = 20
        XCTAssertEqual(UdpSocketFactory.Settings.readInterval(o, pluginMinor: 5), 0, "1.5's tail padding, maybe garbage")
        XCTAssertEqual(UdpSocketFactory.Settings.readInterval(o, pluginMinor: 6), 20)
    }
}
