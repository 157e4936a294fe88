import Foundation
import Glibc
import TestSupport

/// Players on real loopback sockets: each connects, sends its request, and is then read by the test
/// thread into one scratch buffer (no allocation per read), counting the bytes each received.
final class PlayerSockets {
    private var polls: [pollfd] = []
    private(set) var received: [Int] = []
    private let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(port: UInt16, count: Int, request: String) throws {
        polls.reserveCapacity(count)
        received.reserveCapacity(count)
        for i in 0..<count {
            guard let fd = LoopbackSocket.connect(port: port) else { throw Failure(description: "connect player \(i): errno \(errno)") }
            polls.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            received.append(0)
            let sent = request.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
            guard sent == request.utf8.count else { throw Failure(description: "request of player \(i) not sent") }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        close()
        scratch.deallocate()
    }

    var total: Int { received.reduce(0, +) }

    /// Reads until `done` holds or `timeout` passes; false on timeout.
    func read(until done: (PlayerSockets) -> Bool, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !done(self) {
            guard Date() < deadline else { return false }
            guard poll(&polls, nfds_t(polls.count), 20) > 0 else { continue }
            for i in polls.indices where polls[i].revents != 0 {
                while true {
                    let n = recv(polls[i].fd, scratch, 1 << 16, 0)
                    guard n > 0 else { break }
                    received[i] += n
                }
            }
        }
        return true
    }

    func close() {
        for p in polls where p.fd >= 0 { Glibc.close(p.fd) }
        polls.removeAll()
    }
}
