#if canImport(Glibc)
import Glibc
#endif
import MRPluginKit
import XCTest

/// A datagram's sender keeps only its address bytes (its text is made when asked for), so comparing it with a
/// peer made from text must go by the address, not by the text.
final class UdpPeerTests: XCTestCase {
    private func sender(_ ip: String, _ port: UInt16) -> UdpPeer? {
        guard let p = UdpPeer(ip: ip, port: port) else { return nil }
        return p.withSockaddr { UdpPeer($0, $1) }
    }

    func testSenderEqualsPeerMadeFromText() throws {
        let text = try XCTUnwrap(UdpPeer(ip: "10.1.2.3", port: 30000))
        let from = try XCTUnwrap(sender("10.1.2.3", 30000))
        XCTAssertEqual(from, text)
        XCTAssertEqual(from.hashValue, text.hashValue)
        XCTAssertEqual(from.ip, "10.1.2.3")
        XCTAssertEqual(from.port, 30000)
        XCTAssertNotEqual(from, try XCTUnwrap(UdpPeer(ip: "10.1.2.3", port: 30001)))
        XCTAssertNotEqual(from, try XCTUnwrap(UdpPeer(ip: "10.1.2.4", port: 30000)))
    }

    func testIpv6ComparesByAddressNotByText() throws {
        let long = try XCTUnwrap(UdpPeer(ip: "2001:db8:0:0:0:0:0:1", port: 5000))
        let short = try XCTUnwrap(sender("2001:db8::1", 5000))
        XCTAssertEqual(long, short)
        XCTAssertEqual(Set([long, short]).count, 1)
        XCTAssertEqual(short.ip, "2001:db8::1")
        XCTAssertEqual(short.port, 5000)
        XCTAssertNotEqual(short, try XCTUnwrap(UdpPeer(ip: "::1", port: 5000)))
    }

    func testShortOrForeignAddressIsRefused() {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        let short = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { UdpPeer($0, 4) } }
        XCTAssertNil(short)
        var u = sockaddr_storage()
        u.ss_family = sa_family_t(AF_UNIX)
        let unix = withUnsafePointer(to: &u) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { UdpPeer($0, socklen_t(MemoryLayout<sockaddr_storage>.size)) } }
        XCTAssertNil(unix)
    }
}
