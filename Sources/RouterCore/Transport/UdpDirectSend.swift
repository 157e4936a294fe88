#if canImport(Glibc)
import Glibc
#endif
import CSocketShims
import NIOCore

/// Plain datagrams sent with sendmmsg on the socket's descriptor. NIO's datagram channel closes itself on
/// any send error it does not know as recoverable (EPERM from a firewall rule, ENETUNREACH, EINVAL for one
/// odd address): one peer's route would end the socket every session shares. Sent here, such an error
/// costs only the datagram it came from; only a full socket buffer is left to the channel's queue, which
/// waits until the kernel takes more.
enum UdpDirectSend {
    struct Outcome: Equatable {
        /// Datagrams the kernel took.
        var sent = 0
        /// Datagrams dropped for an error of their own (the last errno in `error`).
        var failed = 0
        var error: Int32 = 0
        /// Index of the first datagram not attempted because the socket buffer is full.
        var blockedAt: Int?
    }

    /// Datagrams per shim call (its stack arrays).
    static let chunk = 64

    static func send(descriptor: CInt, _ datagrams: ArraySlice<(address: SocketAddress, payload: ByteBuffer)>) -> Outcome {
        var outcome = Outcome()
        var next = datagrams.startIndex
        while next < datagrams.endIndex {
            let end = min(datagrams.endIndex, next + chunk)
            let n = sendChunk(descriptor: descriptor, datagrams[next..<end])
            if n > 0 {
                outcome.sent += n
                next += n
                continue
            }
            let e = errno
            switch e {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK, ENOBUFS:
                outcome.blockedAt = next
                return outcome
            default:
                // This datagram's own problem (its route, its size, its address): drop it, go on with the rest.
                outcome.failed += 1
                outcome.error = e
                next += 1
            }
        }
        return outcome
    }

    /// One sendmmsg: the count sent, or -1 with errno set (the first datagram failed).
    private static func sendChunk(descriptor: CInt, _ datagrams: ArraySlice<(address: SocketAddress, payload: ByteBuffer)>) -> Int {
        let count = datagrams.count
        // Retained until the call returns, so the payloads' bytes stay where the iovecs point.
        var storages: [Unmanaged<AnyObject>] = []
        storages.reserveCapacity(count)
        defer { storages.forEach { $0.release() } }
        return withUnsafeTemporaryAllocation(of: sockaddr_storage.self, capacity: count) { names in
            withUnsafeTemporaryAllocation(of: mr_shim_datagram.self, capacity: count) { list in
                guard count > 0, let namesBase = names.baseAddress, let listBase = list.baseAddress else {
                    errno = EINVAL
                    return -1
                }
                for (i, d) in datagrams.enumerated() {
                    let length = d.address.withSockAddr { sa, len -> Int in
                        UnsafeMutableRawPointer(namesBase + i).copyMemory(from: sa, byteCount: min(len, MemoryLayout<sockaddr_storage>.size))
                        return len
                    }
                    let base = d.payload.withUnsafeReadableBytesWithStorageManagement { raw, storage -> UnsafeRawPointer? in
                        storages.append(storage.retain())
                        return raw.baseAddress
                    }
                    (listBase + i).initialize(to: mr_shim_datagram(name: UnsafeRawPointer(namesBase + i), name_len: socklen_t(length),
                                                                   bytes: base, len: d.payload.readableBytes))
                }
                return Int(mr_shim_sendmmsg(descriptor, listBase, UInt32(count)))
            }
        }
    }
}
