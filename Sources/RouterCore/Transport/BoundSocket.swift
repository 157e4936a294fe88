#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Sockets the core opens and binds itself before handing them to NIO, because NIO does not expose a
/// channel's descriptor: UDP sockets (the GSO and direct send paths) and TCP listeners (TcpAcceptor).
enum BoundSocket {
    /// A socket of `type` bound to `address`; closed again if an option or the bind fails.
    static func descriptor(_ address: SocketAddress, type: CInt, reuseAddress: Bool, reusePort: Bool,
                           recvBuffer: Int = 0) throws -> CInt {
        let fd = socket(CInt(address.protocol.rawValue), type | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        func set(_ level: CInt, _ name: CInt, _ value: CInt, _ what: String) throws {
            var v = value
            guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
                let e = errno
                close(fd)
                throw IOError(errnoCode: e, reason: what)
            }
        }
        if reuseAddress { try set(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") }
        if reusePort { try set(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT") }
        if recvBuffer > 0 { try set(SOL_SOCKET, SO_RCVBUF, CInt(clamping: recvBuffer), "SO_RCVBUF") }
        let rc = address.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw IOError(errnoCode: e, reason: "bind")
        }
        return fd
    }
}
