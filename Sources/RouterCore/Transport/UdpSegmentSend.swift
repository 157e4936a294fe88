#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// One UDP_SEGMENT (GSO) send: a buffer of equal-sized segments (the last may be shorter) that the kernel
/// cuts into datagrams. NIO could carry the segment size per message, but a route that refuses GSO (EIO
/// from a device without checksum offload, EINVAL past its MTU) would then close the channel serving every
/// peer; a direct sendmsg lets the socket fall back instead.
enum UdpSegmentSend {
    enum Outcome: Equatable {
        case sent
        /// The socket buffer is full: queue the datagrams behind the channel's.
        case wouldBlock
        /// This socket's route does not take GSO: send plain datagrams from now on.
        case refused(Int32)
        /// Another error, as a plain send would have had (unreachable network): the datagrams are lost.
        case failed(Int32)
    }

    /// Linux values, stable since 4.18; not exported by Glibc's module.
    static let solUDP: CInt = 17
    static let udpSegment: CInt = 103
    /// UDP_MAX_SEGMENTS of the oldest kernels with GSO; newer ones take 128.
    static let maxSegments = 64
    /// What one GSO send may carry: below the 65,507-byte UDP payload limit with room for IPv6 headers.
    static let maxBytes = 65_000

    static func send(descriptor: CInt, to address: SocketAddress, payload: ByteBuffer, segmentSize: Int) -> Outcome {
        let headerSize = MemoryLayout<cmsghdr>.size
        // CMSG_SPACE(sizeof(uint16_t)): the header, then the value padded to the header's alignment.
        let controlSize = headerSize + MemoryLayout<Int>.size
        let sent: Int = address.withSockAddr { sa, saLen in
            payload.withUnsafeReadableBytes { raw in
                withUnsafeTemporaryAllocation(byteCount: controlSize, alignment: MemoryLayout<cmsghdr>.alignment) { control in
                    guard let base = control.baseAddress else { return -1 }
                    control.initializeMemory(as: UInt8.self, repeating: 0)
                    let header = base.assumingMemoryBound(to: cmsghdr.self)
                    header.pointee.cmsg_len = headerSize + MemoryLayout<UInt16>.size
                    header.pointee.cmsg_level = solUDP
                    header.pointee.cmsg_type = udpSegment
                    (base + headerSize).storeBytes(of: UInt16(segmentSize), as: UInt16.self)
                    var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
                    return withUnsafeMutablePointer(to: &iov) { iovPointer in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(mutating: sa)
                        msg.msg_namelen = socklen_t(saLen)
                        msg.msg_iov = iovPointer
                        msg.msg_iovlen = 1
                        msg.msg_control = base
                        msg.msg_controllen = controlSize
                        return Glibc.sendmsg(descriptor, &msg, CInt(MSG_DONTWAIT))
                    }
                }
            }
        }
        if sent >= 0 { return .sent }
        let e = errno
        switch e {
        case EAGAIN, EWOULDBLOCK, ENOBUFS, EINTR: return .wouldBlock
        case EIO, EINVAL, EOPNOTSUPP, ENOPROTOOPT, EMSGSIZE: return .refused(e)
        default: return .failed(e)
        }
    }
}
