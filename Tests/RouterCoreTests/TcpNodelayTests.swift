import Foundation
import NIOCore
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// TCP_NODELAY is a TCP-level option: accepted and dialled connections start with it on, and
/// `conn_set_nodelay` turns it off and on. (NIO's `.socketOption(.tcp_nodelay)` names SOL_SOCKET with the
/// same number, which is SO_DEBUG: the option was never changed that way.)
final class TcpNodelayTests: XCTestCase {
    /// An end of a connection and its callbacks (the direct-write tests' kind, reading not paused).
    typealias Side = TcpDirectWriteTests.Side

    /// The option as the kernel has it (NIO's getOption is a getsockopt on the channel's loop).
    private func option(_ conn: OpaquePointer, level: CInt, name: CInt) throws -> CInt {
        let c = try XCTUnwrap(TcpConnection.from(conn))
        let key = ChannelOptions.Types.SocketOption(level: NIOBSDSocket.OptionLevel(rawValue: level),
                                                    name: NIOBSDSocket.Option(rawValue: name))
        return CInt(try c.channel.getOption(key).wait())
    }

    /// A listener of `t` and one client of it: the accepted and the dialled connection.
    private func pair(_ t: TestHost) throws -> (accepted: OpaquePointer, dialled: OpaquePointer) {
        let server = Side(pauseAtOpen: false)
        let client = Side(pauseAtOpen: false)
        t.keepAlive.append(server)
        t.keepAlive.append(client)
        let port = try t.listen(Side.callbacks, user: server)
        XCTAssertEqual(t.dial(port: port, Side.callbacks, user: client), Int32(MR_OK))
        XCTAssertTrue(waitUntil { server.connection != nil && client.connection != nil })
        return (try XCTUnwrap(server.connection), try XCTUnwrap(client.connection))
    }

    private func nodelay(_ conn: OpaquePointer) throws -> CInt { try option(conn, level: CInt(IPPROTO_TCP), name: TCP_NODELAY) }

    func testAcceptedAndDialledConnectionsSetTheTcpOption() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let (accepted, dialled) = try pair(t)
        for conn in [accepted, dialled] {
            XCTAssertNotEqual(try nodelay(conn), 0)
            XCTAssertEqual(try option(conn, level: SOL_SOCKET, name: SO_DEBUG), 0, "SO_DEBUG set instead of TCP_NODELAY")
        }
        t.api.conn_set_nodelay(accepted, 0)
        XCTAssertTrue(waitUntil { (try? self.nodelay(accepted)) == 0 })
        t.api.conn_set_nodelay(accepted, 1)
        XCTAssertTrue(waitUntil { (try? self.nodelay(accepted)) ?? 0 != 0 })
    }

    /// Sends on `conn` from its loop outside any reader delivery (a handshake's answer), then from a reader's
    /// frame callback (the stream): TCP_NODELAY after each.
    private func nodelayAfterStreaming(_ t: TestHost, _ conn: OpaquePointer) throws -> (handshake: CInt, streaming: CInt) {
        let c = try XCTUnwrap(TcpConnection.from(conn))
        let loop = c.loopIndex
        let box = UnsafeSendableBox((conn, t))
        try t.core.pollers.loop(loop).submit {
            let (conn, t) = box.value
            var b: OpaquePointer? = t.buffer([1, 2, 3])
            _ = t.api.conn_send(conn, &b, 1)
            t.api.buf_release(b)
        }.wait()
        let handshake = try nodelay(conn)
        let source = try XCTUnwrap(t.publish("live", "nodelay", loop: Int32(loop)))
        let reader = Collector()
        reader.onFrame = { _ in
            var b: OpaquePointer? = t.buffer([4, 5, 6])
            _ = t.api.conn_send(conn, &b, 1)
            t.api.buf_release(b)
        }
        XCTAssertEqual(reader.open(t, "live", "nodelay", loop: Int32(loop)), Int32(MR_OK))
        for seq in 0..<3 { t.write(source, seq: UInt64(seq), key: seq == 0, loop: loop) }
        XCTAssertTrue(waitUntil { reader.snapshot.seqs.count >= 3 })
        t.sync()
        return (handshake, try nodelay(conn))
    }

    func testAStreamTurnsNagleBackOnAfterTheHandshake() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let result = try nodelayAfterStreaming(t, try pair(t).accepted)
        XCTAssertNotEqual(result.handshake, 0, "a handshake's answer keeps TCP_NODELAY")
        XCTAssertEqual(result.streaming, 0, "frames from a reader switch Nagle's algorithm back on")
    }

    func testTheSettingKeepsTcpNodelayWhileStreaming() throws {
        var bus = BusSettings()
        bus.nodelayWhileStreaming = true
        let t = TestHost(bus: bus)
        defer { t.shutdown() }
        let result = try nodelayAfterStreaming(t, try pair(t).accepted)
        XCTAssertNotEqual(result.handshake, 0)
        XCTAssertNotEqual(result.streaming, 0, "tcp_nodelay_while_streaming = true keeps it")
    }

    func testAPluginsOwnChoiceStands() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let conn = try pair(t).accepted
        t.api.conn_set_nodelay(conn, 1)
        XCTAssertNotEqual(try nodelayAfterStreaming(t, conn).streaming, 0, "conn_set_nodelay is the plugin's to decide")
    }
}
