#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CSocketShims
import Dispatch
import NIOCore

/// A TCP listening socket the core accepts on itself, on a thread of its own, instead of NIO's server
/// channel: NIO never tells the descriptor of a connection it accepted, and a plain connection's direct
/// writes need it (TcpConnection+Direct.swift). Each accepted descriptor is handed to NIO as a connected
/// socket on the loop the listener picks.
final class TcpAcceptor: Sendable {
    let descriptor: CInt
    let port: UInt16
    private let stopping = ManagedAtomic<Bool>(false)
    private let started = ManagedAtomic<Bool>(false)
    private let exited = DispatchSemaphore(value: 0)

    /// Blocks until listening; control thread only.
    init(host: String, port: Int, backlog: Int, reusePort: Bool) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        // A blocking socket: the thread sleeps in accept, and `stop` wakes it with shutdown.
        let fd = try BoundSocket.descriptor(address, type: CInt(SOCK_STREAM.rawValue), reuseAddress: true, reusePort: reusePort)
        guard listen(fd, CInt(clamping: backlog)) == 0 else {
            let e = errno
            close(fd)
            throw IOError(errnoCode: e, reason: "listen")
        }
        descriptor = fd
        self.port = Self.boundPort(fd) ?? UInt16(clamping: port)
    }

    /// Starts the accept thread; `accepted` owns each descriptor it is given (non-blocking, close-on-exec).
    /// `ended` hears the errno if the socket stops accepting other than by `stop`.
    func start(_ accepted: @escaping @Sendable (CInt) -> Void, ended: @escaping @Sendable (CInt) -> Void) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let name = "accept:\(port)"
        let body = Unmanaged.passRetained(ThreadBody { [self] in
            mr_shim_name_this_thread(name)
            if let e = run(accepted), !stopping.load(ordering: .acquiring) { ended(e) }
            exited.signal()
        }).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 256 * 1024)
        pthread_attr_setdetachstate(&attributes, CInt(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { user in
            guard let user else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(user).takeRetainedValue().run()
            return nil
        }, body)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(body).release()
            exited.signal()
            return ended(rc)
        }
    }

    /// What the accept thread runs, passed through pthread_create's one pointer.
    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Accepts until the socket is shut down or fails: the errno it ended with.
    private func run(_ accepted: (CInt) -> Void) -> CInt? {
        while !stopping.load(ordering: .acquiring) {
            let fd = mr_shim_accept(descriptor)
            if fd >= 0 {
                accepted(fd)
                continue
            }
            let e = errno
            switch e {
            case EINVAL, EBADF, ENOTSOCK:
                return e   // EINVAL after `stop`'s shutdown
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors or memory: the connection waits in the queue until some are freed.
                usleep(50_000)
            default:
                // EINTR, ECONNABORTED, EPERM (a firewall rule), and the network errors Linux reports for the
                // connection being accepted (ENETDOWN, EHOSTUNREACH, ...): that connection's own, go on.
                continue
            }
        }
        return nil
    }

    /// The port a descriptor is bound to (the kernel's pick for port 0).
    private static func boundPort(_ fd: CInt) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        let family = CInt(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw -> UInt16? in
            switch family {
            case AF_INET: return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
            case AF_INET6: return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
            default: return nil
            }
        }
    }

    /// Wakes the thread out of accept, waits for it to end, closes the socket. Connections waiting in the
    /// accept queue are reset by the kernel.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(descriptor, CInt(SHUT_RDWR))
        if started.load(ordering: .acquiring) { exited.wait() }
        close(descriptor)
    }
}
