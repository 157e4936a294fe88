#if canImport(Glibc)
import Glibc
#endif
import WebRtcProtocol

/// A datagram's sender as the socket API needs it for replies and as the ICE agent keys pairs by.
struct WebrtcPeerAddress {
    private(set) var storage = sockaddr_storage()
    let length: socklen_t
    let transport: TransportAddress

    init?(_ from: UnsafePointer<sockaddr>?, _ fromLength: socklen_t) {
        guard let from, Int(fromLength) <= MemoryLayout<sockaddr_storage>.size else { return nil }
        switch Int32(from.pointee.sa_family) {
        case AF_INET:
            guard Int(fromLength) >= MemoryLayout<sockaddr_in>.size else { return nil }
            transport = from.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                let a = UInt32(bigEndian: sin.pointee.sin_addr.s_addr)
                return TransportAddress(ip: IpAddress(v4: UInt8(a >> 24), UInt8((a >> 16) & 0xFF), UInt8((a >> 8) & 0xFF), UInt8(a & 0xFF)),
                                        port: UInt16(bigEndian: sin.pointee.sin_port))
            }
        case AF_INET6:
            guard Int(fromLength) >= MemoryLayout<sockaddr_in6>.size,
                  let t = from.withMemoryRebound(to: sockaddr_in6.self, capacity: 1, { sin6 -> TransportAddress? in
                      let bytes = withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                      return IpAddress(bytes: bytes).map { TransportAddress(ip: $0, port: UInt16(bigEndian: sin6.pointee.sin6_port)) }
                  }) else { return nil }
            transport = t
        default:
            return nil
        }
        length = fromLength
        withUnsafeMutableBytes(of: &storage) { $0.baseAddress?.copyMemory(from: from, byteCount: Int(fromLength)) }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>) -> T) -> T? {
        withUnsafeBytes(of: storage) { raw in
            // sockaddr_storage is aligned for every sockaddr type.
            raw.baseAddress.map { body($0.assumingMemoryBound(to: sockaddr.self)) }
        }
    }
}
