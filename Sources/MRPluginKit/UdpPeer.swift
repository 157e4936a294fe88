#if canImport(Glibc)
import Glibc
#endif

/// A socket address for udp_send, built from the text form the host gives for a connection's peer
/// ("1.2.3.4:5" or "[::1]:5") with another port, and compared with the sender of a datagram.
public struct UdpPeer: Hashable, Sendable {
    private(set) var storage = sockaddr_storage()
    public let length: socklen_t
    public let ip: String
    public let port: UInt16

    public init?(ip: String, port: UInt16) {
        self.ip = ip
        self.port = port
        var s = sockaddr_storage()
        if ip.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, ip, &a.sin6_addr) == 1 else { return nil }
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &s) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            guard inet_pton(AF_INET, ip, &a.sin_addr) == 1 else { return nil }
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &s) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        storage = s
    }

    /// From a datagram's sender.
    public init?(_ addr: UnsafePointer<sockaddr>, _ len: socklen_t) {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(addr.pointee.sa_family) {
        case AF_INET:
            let a = UnsafeRawPointer(addr).loadUnaligned(as: sockaddr_in.self)
            var ia = a.sin_addr
            guard inet_ntop(AF_INET, &ia, &buf, socklen_t(buf.count)) != nil else { return nil }
            self.init(ip: Self.text(buf), port: UInt16(bigEndian: a.sin_port))
        case AF_INET6:
            let a = UnsafeRawPointer(addr).loadUnaligned(as: sockaddr_in6.self)
            var ia = a.sin6_addr
            guard inet_ntop(AF_INET6, &ia, &buf, socklen_t(buf.count)) != nil else { return nil }
            self.init(ip: Self.text(buf), port: UInt16(bigEndian: a.sin6_port))
        default:
            return nil
        }
    }

    private static func text(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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

    public static func == (a: UdpPeer, b: UdpPeer) -> Bool { a.ip == b.ip && a.port == b.port }
    public func hash(into h: inout Hasher) { h.combine(ip); h.combine(port) }
}
