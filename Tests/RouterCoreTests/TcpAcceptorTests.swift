import Foundation
import Glibc
import TestSupport
import XCTest
@testable import RouterCore

/// The core's own listening socket: it hands over every accepted descriptor, `stop` wakes its thread out of
/// accept and frees the port at once (a reload binds it again), and a port in use is refused.
final class TcpAcceptorTests: XCTestCase {
    final class Accepted: @unchecked Sendable {
        let lock = NSLock()
        var fds: [CInt] = []
        var list: [CInt] { lock.withLock { fds } }
    }

    func testAcceptsStopsAndFreesThePort() throws {
        let acceptor = try TcpAcceptor(host: "127.0.0.1", port: 0, backlog: 16, reusePort: false)
        XCTAssertGreaterThan(acceptor.port, 0)
        let accepted = Accepted()
        acceptor.start { fd in accepted.lock.withLock { accepted.fds.append(fd) } } ended: { e in
            XCTFail("accepting ended with errno \(e) before stop")
        }
        let clients = try (0..<3).map { _ in try XCTUnwrap(LoopbackSocket.connect(port: acceptor.port)) }
        defer { clients.forEach { close($0) } }
        XCTAssertTrue(waitUntil { accepted.list.count == 3 })
        for fd in accepted.list {
            XCTAssertNotEqual(fcntl(fd, F_GETFL) & O_NONBLOCK, 0, "NIO expects a non-blocking socket")
            XCTAssertNotEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0, "a child process must not inherit players' sockets")
            close(fd)
        }

        XCTAssertThrowsError(try TcpAcceptor(host: "127.0.0.1", port: Int(acceptor.port), backlog: 16, reusePort: false),
                             "a second listener on a port in use must fail")
        let started = Date()
        acceptor.stop()   // the thread sleeps in accept: stop must wake it
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        let again = try TcpAcceptor(host: "127.0.0.1", port: Int(acceptor.port), backlog: 16, reusePort: false)
        again.stop()   // never started: stop still releases the socket
    }
}
