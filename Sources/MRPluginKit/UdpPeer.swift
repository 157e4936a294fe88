#if canImport(Glibc)
import Glibc
#endif

/// A socket address for udp_send, built from the text form the host gives for a connection's peer
/// ("1.2.3.4:5" or "[::1]:5") with another port, and compared with the sender of a datagram.
public struct UdpPeer: Hashable, Sendable {
    private(set) var storage = sockaddr_storage()
    public let length: socklen_t
    /// The text it was made from; nil for a datagram's sender, whose text is only made when asked for (a
    /// datagram path that compares senders must not format one per packet).
    private let text: String?

    public init?(ip: String, port: UInt16) {
        let s: sockaddr_storage
        if ip.utf8.contains(UInt8(ascii: ":")) {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, ip, &a.sin6_addr) == 1 else { return nil }
            s = Self.storage(of: a)
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            guard inet_pton(AF_INET, ip, &a.sin_addr) == 1 else { return nil }
            s = Self.storage(of: a)
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        storage = s
        text = ip
    }

    /// From a datagram's sender.
    public init?(_ addr: UnsafePointer<sockaddr>, _ len: socklen_t) {
        let s: sockaddr_storage
        switch Int32(addr.pointee.sa_family) {
        case AF_INET where len >= MemoryLayout<sockaddr_in>.size:
            let from = UnsafeRawPointer(addr).loadUnaligned(as: sockaddr_in.self)
            s = Self.storage(of: sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: from.sin_port, sin_addr: from.sin_addr, sin_zero: (0, 0, 0, 0, 0, 0, 0, 0)))
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case AF_INET6 where len >= MemoryLayout<sockaddr_in6>.size:
            let from = UnsafeRawPointer(addr).loadUnaligned(as: sockaddr_in6.self)
            s = Self.storage(of: sockaddr_in6(sin6_family: sa_family_t(AF_INET6), sin6_port: from.sin6_port, sin6_flowinfo: 0, sin6_addr: from.sin6_addr, sin6_scope_id: 0))
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        default:
            return nil
        }
        storage = s
        text = nil
    }

    public var ip: String {
        if let text { return text }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = withUnsafeBytes(of: storage) { raw -> Bool in
            if isV6 {
                var a = raw.loadUnaligned(as: sockaddr_in6.self).sin6_addr
                return inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count)) != nil
            }
            var a = raw.loadUnaligned(as: sockaddr_in.self).sin_addr
            return inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count)) != nil
        }
        guard ok else { return "" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            UInt16(bigEndian: isV6 ? raw.loadUnaligned(as: sockaddr_in6.self).sin6_port : raw.loadUnaligned(as: sockaddr_in.self).sin_port)
        }
    }

    private static func storage<Address>(of a: Address) -> sockaddr_storage {
        var s = sockaddr_storage()
        withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &s) { $0.copyMemory(from: src) } }
        return s
    }

    private var isV6: Bool { length == socklen_t(MemoryLayout<sockaddr_in6>.size) }

    /// The family, port and address bytes, which equality and hashing compare (not the text, whose forms of
    /// one IPv6 address differ).
    private var key: (UInt64, UInt64, UInt64) {
        withUnsafeBytes(of: storage) { raw in
            if isV6 {
                let a = raw.loadUnaligned(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: a.sin6_addr) { ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
                return (UInt64(AF_INET6) << 16 | UInt64(a.sin6_port), bytes.0, bytes.1)
            }
            let a = raw.loadUnaligned(as: sockaddr_in.self)
            return (UInt64(AF_INET) << 16 | UInt64(a.sin_port), UInt64(a.sin_addr.s_addr), 0)
        }
    }

    /// The address part of a host peer text ("1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1").
    public static func host(ofPeer text: String) -> String {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<close]) }
        guard let colon = text.lastIndex(of: ":") else { return text }
        return String(text[..<colon])
    }

    public func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafeBytes(of: storage) { raw in body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    public static func == (a: UdpPeer, b: UdpPeer) -> Bool { a.key == b.key }
    public func hash(into h: inout Hasher) {
        let k = key
        h.combine(k.0)
        h.combine(k.1)
        h.combine(k.2)
    }
}
