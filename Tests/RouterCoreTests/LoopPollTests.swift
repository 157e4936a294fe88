import Atomics
import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// A loop whose walks over its readers take longer than the source's frame interval (thousands of players on a
/// busy machine) still polls its sockets between two walks: a connection is accepted, and its first bytes read,
/// while the stream goes on. NIO runs a loop's tasks until none is due before it polls; each batch from the
/// source is a task, so without a pause between walks the loop accepted nothing until the source stopped.
final class LoopPollTests: XCTestCase {
    func testALoopBusyWithWalksStillAcceptsAConnection() throws {
        let t = TestHost(threads: 1)
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "busy", loop: 0))
        t.write(src, seq: 0, key: true, loop: 0)
        let c = Collector()
        // Each delivery takes 4 ms, as a walk over a loop's players does at a few thousand of them.
        let slow = ManagedAtomic(true)
        c.onFrame = { _ in if slow.load(ordering: .relaxed) { usleep(4_000) } }
        XCTAssertEqual(c.open(t, "live", "busy", loop: 0, maxLag: 100_000), Int32(MR_OK))
        XCTAssertTrue(waitUntil { c.snapshot.seqs == [0] })
        let (port, server) = try listen(t)
        let feeding = feed(t, src)
        defer { feeding.stop(); slow.store(false, ordering: .relaxed) }
        usleep(100_000)   // walk after walk by now
        XCTAssertGreaterThan(c.snapshot.seqs.count, 1, "the reader is being fed")
        let waited = try connectAndWaitForAccept(server, port: port)
        // A walk and a poll take a few milliseconds here; a second is room for a loaded machine.
        XCTAssertLessThan(waited, 1, "accepted after \(Int(waited * 1000)) ms")
    }

    /// One walk of 400 players at 1 ms each: the loop polls within it, not only after it.
    func testALongWalkStopsForAPoll() throws {
        let t = TestHost(threads: 1)
        defer { t.shutdown() }
        let src = try XCTUnwrap(t.publish("live", "long", loop: 0))
        t.write(src, seq: 0, key: true, loop: 0)
        let walkBegan = ManagedAtomic(false), slow = ManagedAtomic(true)
        var players: [Collector] = []
        for i in 0..<400 {
            let c = Collector()
            c.onFrame = { _ in
                if i == 0 { walkBegan.store(true, ordering: .relaxed) }
                if slow.load(ordering: .relaxed) { usleep(1_000) }
            }
            XCTAssertEqual(c.open(t, "live", "long", loop: 0, maxLag: 100_000), Int32(MR_OK))
            players.append(c)
        }
        XCTAssertTrue(waitUntil { players.allSatisfy { $0.snapshot.seqs == [0] } })
        let (port, server) = try listen(t)
        let feeding = feed(t, src)
        // Walks queued behind a loop that never polled would take minutes at 400 ms each.
        defer { feeding.stop(); slow.store(false, ordering: .relaxed) }
        // Connect as a walk begins: a loop that polls only between walks would accept 400 ms later; one that
        // polls every few milliseconds within a walk, at once (the bound is room for a loaded machine).
        walkBegan.store(false, ordering: .relaxed)
        XCTAssertTrue(waitUntil { walkBegan.load(ordering: .relaxed) })
        let waited = try connectAndWaitForAccept(server, port: port)
        XCTAssertLessThan(waited, 0.2, "accepted after \(Int(waited * 1000)) ms")
    }

    /// A frame every millisecond from another thread (a batch queued on the loop during every walk) until stopped.
    private func feed(_ t: TestHost, _ src: OpaquePointer) -> Feeder {
        let feeder = Feeder()
        let box = UnsafeSendableBox((t, src, feeder))
        Thread {
            let (t, src, feeder) = box.value
            var seq: UInt64 = 1
            while feeder.running.load(ordering: .relaxed) {
                t.write(src, seq: seq, key: seq % 50 == 0, loop: 0)
                seq += 1
                usleep(1_000)
            }
            feeder.ended.signal()
        }.start()
        return feeder
    }

    final class Feeder: Sendable {
        let running = ManagedAtomic(true)
        let ended = DispatchSemaphore(value: 0)
        func stop() {
            running.store(false, ordering: .relaxed)
            ended.wait()
        }
    }

    /// Connects a plain socket to the listener (the kernel completes it) and returns the seconds until the
    /// server's loop accepted it and opened the connection.
    private func connectAndWaitForAccept(_ server: TransportTests.Peer, port: UInt16) throws -> TimeInterval {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let started = Date()
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(rc, 0)
        let accepted = waitUntil(timeout: 3) { server.lock.lock(); defer { server.lock.unlock() }; return server.opened == 1 }
        XCTAssertTrue(accepted, "not accepted in 3 s")
        return Date().timeIntervalSince(started)
    }

    private func listen(_ t: TestHost) throws -> (UInt16, TransportTests.Peer) {
        let server = TransportTests.Peer(echo: true)
        t.keepAlive.append(server)
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        options.port = 0
        var cbs = TransportTests.Peer.callbacks
        var listener: OpaquePointer?
        let rc: Int32 = "127.0.0.1".withCString { bind in
            options.bind_address = bind
            return t.api.tcp_listen(t.host, &options, &cbs, Unmanaged.passUnretained(server).toOpaque(), &listener)
        }
        XCTAssertEqual(rc, Int32(MR_OK), t.api.last_error().map { String(cString: $0) } ?? "")
        return (t.api.listener_port(try XCTUnwrap(listener)), server)
    }
}
