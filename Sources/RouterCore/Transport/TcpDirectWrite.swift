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
            var r: Int
            repeat {
                r = mr_shim_sendv(descriptor, UInt32(n), more || !last ? 1 : 0)
            } while r < 0 && errno == EINTR
            if r < 0 {
                let e = errno
                if e == EAGAIN || e == EWOULDBLOCK || total > 0 { return .sent(total) }
                return .failed(e)
            }
            total += r
            if r < bytes { return .sent(total) }
            next += n
        }
        return .sent(total)
    }
}
