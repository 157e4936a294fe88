import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// ABI 1.3 TCP: connecting from a chosen local port, and SO_REUSEPORT listeners.
final class TcpLocalBindTests: XCTestCase {
    /// Records the peer address of every accepted connection.
    final class Acceptor: @unchecked Sendable {
        let lock = NSLock()
        var peers: [String] = []
        var snapshot: [String] { lock.lock(); defer { lock.unlock() }; return peers }

        static var callbacks: mr_conn_callbacks {
            var c = mr_conn_callbacks()
            c.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
            c.on_open = { user, conn in
                let a = Unmanaged<Acceptor>.fromOpaque(user!).takeUnretainedValue()
                let peer = HostAPITable.table.pointee.conn_peer(conn).map { String(cString: $0) } ?? ""
                a.lock.lock(); a.peers.append(peer); a.lock.unlock()
            }
            c.on_data = { _, _, _, _ in }
            c.on_close = { _, _, _, _ in }
            return c
        }
    }

    private func listen(_ t: TestHost, _ acceptor: Acceptor, port: UInt16 = 0, reusePort: Bool) -> (Int32, UInt16) {
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        options.port = port
        options.reuse_port = reusePort ? 1 : 0
        var cbs = Acceptor.callbacks
        var listener: OpaquePointer?
        let rc = "127.0.0.1".withCString { options.bind_address = $0
            return t.api.tcp_listen(t.host, &options, &cbs, Unmanaged.passUnretained(acceptor).toOpaque(), &listener) }
        return (rc, listener.map { t.api.listener_port($0) } ?? 0)
    }

    private func connect(_ t: TestHost, _ client: Acceptor, to port: UInt16, localPort: UInt16, size: Int) {
        var options = mr_connect_options()
        options.size = UInt32(size)
        options.port = port
        options.loop = -1
        options.local_port = localPort
        var cbs = Acceptor.callbacks
        let rc = "127.0.0.1".withCString { options.host = $0
            return t.api.tcp_connect(t.host, &options, &cbs, Unmanaged.passUnretained(client).toOpaque()) }
        XCTAssertEqual(rc, Int32(MR_OK))
    }

    func testConnectFromTheRtpPortAReusePortListenerHolds() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let rtp = Acceptor(), device = Acceptor(), client = Acceptor()
        t.keepAlive += [rtp, device, client]
        // GB28181 "TCP active": the server listens on its RTP port and dials the device from that same port.
        let (rc1, rtpPort) = listen(t, rtp, reusePort: true)
        let (rc2, devicePort) = listen(t, device, reusePort: false)
        XCTAssertEqual([rc1, rc2], [Int32(MR_OK), Int32(MR_OK)])
        connect(t, client, to: devicePort, localPort: rtpPort, size: MemoryLayout<mr_connect_options>.size)
        XCTAssertTrue(waitUntil { device.snapshot.count == 1 })
        XCTAssertEqual(device.snapshot, ["127.0.0.1:\(rtpPort)"])
        XCTAssertEqual(rtp.snapshot, [], "the RTP listener accepted nothing")
    }

    func testAPluginBuiltFor12ConnectsFromAnEphemeralPort() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let device = Acceptor(), client = Acceptor()
        t.keepAlive += [device, client]
        let (_, devicePort) = listen(t, device, reusePort: false)
        // A 1.2 writer's struct ends before local_address: what lies past its size is not read.
        connect(t, client, to: devicePort, localPort: devicePort, size: MemoryLayout<mr_connect_options>.offset(of: \.local_address)!)
        XCTAssertTrue(waitUntil { device.snapshot.count == 1 })
        XCTAssertNotEqual(device.snapshot.first, "127.0.0.1:\(devicePort)")
    }

    func testReusePortListenersShareAPort() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let a = Acceptor(), b = Acceptor(), c = Acceptor()
        t.keepAlive += [a, b, c]
        let (rc1, port) = listen(t, a, reusePort: true)
        let (rc2, port2) = listen(t, b, port: port, reusePort: true)
        XCTAssertEqual([rc1, rc2], [Int32(MR_OK), Int32(MR_OK)])
        XCTAssertEqual(port2, port)
        let (rc3, _) = listen(t, c, port: port, reusePort: false)
        XCTAssertEqual(rc3, Int32(MR_ERR_BUSY), "without reuse_port the port is taken")
        let clients = (0..<16).map { _ in Acceptor() }
        t.keepAlive += clients
        for client in clients { connect(t, client, to: port, localPort: 0, size: MemoryLayout<mr_connect_options>.size) }
        XCTAssertTrue(waitUntil { a.snapshot.count + b.snapshot.count == 16 })
    }
}
