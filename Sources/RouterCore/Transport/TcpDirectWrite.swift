#if canImport(Glibc)
import Glibc
#endif
import CSocketShims
import NIOCore

/// One gathered sendmsg on a TCP socket's descriptor, past NIO's write path (pipeline, pending-writes queue,
/// promise, flush: about half the server's user CPU per delivered frame in the fan-out profile). Like the UDP
/// direct send, only a full socket is left to NIO; TcpConnection+Direct.swift decides when it may be used.
enum TcpDirectWrite {
    enum Outcome: Equatable {
        /// Bytes the kernel took: all, some, or none when the socket is full.
        case sent(Int)
        /// The socket's own error (the peer reset it): nothing more can be sent on it.
        case failed(Int32)
    }

    /// The caller holds `buffers` for the call, so the bytes the iovecs point at stay where they are.
    /// `more` sets MSG_MORE on the last chunk too (more bytes follow soon: the kernel may hold a partial segment).
    static func write(descriptor: CInt, _ buffers: UnsafeBufferPointer<ByteBuffer>, more: Bool = false) -> Outcome {
        let iov = mr_shim_iov()
        let perCall = Int(MR_SHIM_IOV)
        var total = 0
        var next = 0
        while next < buffers.count {
            let n = min(perCall, buffers.count - next)
            var bytes = 0
            for i in 0..<n {
                let b = buffers[next + i]
                bytes += b.readableBytes
                b.withUnsafeReadableBytes { raw in
                    iov[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
                }
            }
            let last = next + n == buffers.count
            switch send(descriptor: descriptor, count: n, more: more || !last) {
            case .failed(let e):
                return total > 0 ? .sent(total) : .failed(e)
            case .sent(let r):
                total += r
                if r < bytes { return .sent(total) }
            }
            next += n
        }
        return .sent(total)
    }

    /// One sendmsg of the first `count` entries the caller wrote into the thread's iovec scratch
    /// (`mr_shim_iov`, at most MR_SHIM_IOV), the memory they point at held by the caller for the call.
    static func send(descriptor: CInt, count: Int, more: Bool = false) -> Outcome {
        var r: Int
        repeat {
            r = mr_shim_sendv(descriptor, UInt32(count), more ? 1 : 0)
        } while r < 0 && errno == EINTR
        guard r < 0 else { return .sent(r) }
        let e = errno
        return e == EAGAIN || e == EWOULDBLOCK ? .sent(0) : .failed(e)
    }
}
