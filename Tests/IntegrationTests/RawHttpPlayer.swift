import Foundation

/// A streaming HTTP player (HTTP-FLV, HTTP-TS) on a raw socket, read as fast as data comes on its own thread
/// once started: the bytes it got, when it last got some and when the server closed it are what a test sees
/// of the server from outside, without a client library that retries or hides a close.
final class RawHttpPlayer: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var read = 0
    private var lastData: Date?
    private var closedAt: Date?
    private var stopped = false

    /// Connects and sends the request; reading starts with `start()`, so a test can leave the socket unread
    /// (a stalled player) first.
    init(port: Int, path: String, receiveBuffer: Int32? = nil) {
        fd = connectLoopback(port: port, timeout: 0.2, receiveBuffer: receiveBuffer) ?? -1
        if fd >= 0 { _ = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".withCString { send(fd, $0, strlen($0), 0) } }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func start() {
        Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while fd >= 0, !lock.withLock({ stopped }) {
                let n = recv(fd, &buf, buf.count, 0)
                if n > 0 {
                    lock.withLock { read += n; lastData = Date() }
                } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    // EOF, or a reset (a server closing with unread input, or SO_LINGER 0): closed either way.
                    lock.withLock { closedAt = Date() }
                    return
                }
            }
        }.start()
    }

    func stop() { lock.withLock { stopped = true } }
    var bytesRead: Int { lock.withLock { read } }
    var lastDataAt: Date? { lock.withLock { lastData } }
    var closedDate: Date? { lock.withLock { closedAt } }

    /// When the server closed the connection, if it did within `timeout`.
    func waitForClose(timeout: TimeInterval) -> Date? {
        _ = waitUntil(timeout: timeout) { self.closedDate != nil }
        return closedDate
    }
}
