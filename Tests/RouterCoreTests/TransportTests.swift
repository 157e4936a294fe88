import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// TCP and TLS through the host table: an echo listener and a client, as two plugins would use them.
final class TransportTests: XCTestCase {
    /// Collects what a connection sees; shared by the echo server (echoes) and the client (records).
    final class Peer: @unchecked Sendable {
        let lock = NSLock()
        var received = Data()
        var closes: [(Int32, String)] = []
        var opened = 0
        var conns: [OpaquePointer] = []
        let echo: Bool
        init(echo: Bool) { self.echo = echo }

        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: received, as: UTF8.self) }
        var closeReasons: [Int32] { lock.lock(); defer { lock.unlock() }; return closes.map(\.0) }

        static var callbacks: mr_conn_callbacks {
            var c = mr_conn_callbacks()
            c.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
            c.on_open = { user, conn in
                let p = Unmanaged<Peer>.fromOpaque(user!).takeUnretainedValue()
                p.lock.lock(); p.opened += 1; p.conns.append(conn!); p.lock.unlock()
                if !p.echo { _ = "ping over tls".withCString { HostAPITable.table.pointee.conn_send_bytes(conn, $0, strlen($0)) } }
            }
            c.on_data = { user, conn, data, len in
                let p = Unmanaged<Peer>.fromOpaque(user!).takeUnretainedValue()
                if p.echo {
                    _ = HostAPITable.table.pointee.conn_send_bytes(conn, data, len)
                } else {
                    p.lock.lock(); p.received.append(data!, count: len); p.lock.unlock()
                }
            }
            c.on_close = { user, _, reason, message in
                let p = Unmanaged<Peer>.fromOpaque(user!).takeUnretainedValue()
                p.lock.lock(); p.closes.append((reason, String(cString: message!))); p.lock.unlock()
            }
            return c
        }
    }

    private func selfSignedCertificate() throws -> (cert: String, key: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-tls-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                       "-keyout", key, "-out", cert]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return (cert, key)
    }

    private func listen(_ t: TestHost, _ server: Peer, cert: String?, key: String?) throws -> UInt16 {
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        options.port = 0
        var cbs = Peer.callbacks
        var listener: OpaquePointer?
        let rc: Int32 = "127.0.0.1".withCString { bind in
            options.bind_address = bind
            return (cert ?? "").withCString { c in (key ?? "").withCString { k in
                if cert != nil { options.tls_cert_path = c; options.tls_key_path = k }
                return t.api.tcp_listen(t.host, &options, &cbs, Unmanaged.passUnretained(server).toOpaque(), &listener)
            } }
        }
        XCTAssertEqual(rc, Int32(MR_OK), t.api.last_error().map { String(cString: $0) } ?? "")
        return t.api.listener_port(try XCTUnwrap(listener))
    }

    private func connect(_ t: TestHost, _ client: Peer, port: UInt16, tls: Bool, verify: Bool) {
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = port
        options.tls = tls ? 1 : 0
        options.tls_verify = verify ? 1 : 0
        options.loop = 1
        var cbs = Peer.callbacks
        let rc = "127.0.0.1".withCString { h in
            options.host = h
            return t.api.tcp_connect(t.host, &options, &cbs, Unmanaged.passUnretained(client).toOpaque())
        }
        XCTAssertEqual(rc, Int32(MR_OK))
    }

    func testTlsListenerAndTlsClientExchangeBytes() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let (cert, key) = try selfSignedCertificate()
        let server = Peer(echo: true), client = Peer(echo: false)
        t.keepAlive += [server, client]
        let port = try listen(t, server, cert: cert, key: key)
        connect(t, client, port: port, tls: true, verify: false)
        XCTAssertTrue(waitUntil { client.text == "ping over tls" }, "got \(client.text)")
        // NIOSSL must see every byte: a TLS connection never writes to its socket directly.
        let accepted = try XCTUnwrap(server.lock.withLock { server.conns.first })
        XCTAssertNil(TcpConnection.from(accepted)?.descriptor)
    }

    func testTlsClientThatVerifiesRefusesASelfSignedCertificate() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let (cert, key) = try selfSignedCertificate()
        let server = Peer(echo: true), client = Peer(echo: false)
        t.keepAlive += [server, client]
        let port = try listen(t, server, cert: cert, key: key)
        connect(t, client, port: port, tls: true, verify: true)
        XCTAssertTrue(waitUntil { !client.closeReasons.isEmpty })
        XCTAssertEqual(client.closeReasons, [Int32(bitPattern: MR_CLOSE_ERROR.rawValue)])
        XCTAssertEqual(client.text, "", "nothing was exchanged")
    }

    func testPlainTcpAndConnectFailure() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let server = Peer(echo: true), client = Peer(echo: false), nobody = Peer(echo: false)
        t.keepAlive += [server, client, nobody]
        let port = try listen(t, server, cert: nil, key: nil)
        connect(t, client, port: port, tls: false, verify: false)
        XCTAssertTrue(waitUntil { client.text == "ping over tls" })
        let accepted = try XCTUnwrap(server.lock.withLock { server.conns.first })
        XCTAssertNotNil(TcpConnection.from(accepted)?.descriptor, "a plain accepted connection may write directly")
        connect(t, nobody, port: 1, tls: false, verify: false)
        XCTAssertTrue(waitUntil { nobody.closeReasons == [Int32(bitPattern: MR_CLOSE_CONNECT_FAILED.rawValue)] })
    }

    func testBadCertificatePathIsAClearError() throws {
        let t = TestHost()
        defer { t.shutdown() }
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        var cbs = Peer.callbacks
        var listener: OpaquePointer?
        let server = Peer(echo: true)
        t.keepAlive.append(server)
        let rc = "/nonexistent/cert.pem".withCString { c in
            options.tls_cert_path = c
            options.tls_key_path = c
            return t.api.tcp_listen(t.host, &options, &cbs, Unmanaged.passUnretained(server).toOpaque(), &listener)
        }
        XCTAssertEqual(rc, Int32(MR_ERR_INVALID))
        XCTAssertTrue(String(cString: t.api.last_error()!).hasPrefix("cannot load TLS certificate /nonexistent/cert.pem"))
    }
}
