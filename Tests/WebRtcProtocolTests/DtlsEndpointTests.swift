import TestSupport
import XCTest
@testable import WebRtcProtocol

final class DtlsEndpointTests: XCTestCase {
    /// Runs datagrams between the two until neither has anything to send; returns the number of flights.
    @discardableResult
    func exchange(_ client: DtlsEndpoint, _ server: DtlsEndpoint, first: [[UInt8]], drop: (Int) -> Bool = { _ in false }) -> Int {
        var toServer = first, toClient: [[UInt8]] = []
        var flights = 0, datagramIndex = 0
        while !(toServer.isEmpty && toClient.isEmpty), flights < 20 {
            flights += 1
            for d in toServer {
                datagramIndex += 1
                if drop(datagramIndex) { continue }
                XCTAssertLessThanOrEqual(d.count, 1200)
                toClient += server.handle(d[...]).send
            }
            toServer = []
            for d in toClient { toServer += client.handle(d[...]).send }
            toClient = []
        }
        return flights
    }

    func testHandshakeInMemoryExportsCrossedSrtpKeys() throws {
        let a = try XCTUnwrap(DtlsCertificate(commonName: "client"))
        let b = try XCTUnwrap(DtlsCertificate(commonName: "server", serial: 2))
        XCTAssertEqual(a.fingerprint.digest.count, 32)
        XCTAssertNotEqual(a.fingerprint, b.fingerprint)
        let client = try XCTUnwrap(DtlsEndpoint(certificate: a, client: true, remoteFingerprint: b.fingerprint))
        let server = try XCTUnwrap(DtlsEndpoint(certificate: b, client: false, remoteFingerprint: a.fingerprint))
        XCTAssertEqual(server.start(), [])
        let hello = client.start()
        XCTAssertEqual(hello.count, 1)
        XCTAssertEqual(DatagramKind(hello[0][...]), .dtls)
        exchange(client, server, first: hello)
        XCTAssertEqual(client.state, .connected(.aeadAes128Gcm))
        XCTAssertEqual(server.state, .connected(.aeadAes128Gcm))
        let ck = try XCTUnwrap(client.srtpKeys), sk = try XCTUnwrap(server.srtpKeys)
        XCTAssertEqual(ck.local, sk.remote)
        XCTAssertEqual(ck.remote, sk.local)
        XCTAssertNotEqual(ck.local, ck.remote)
        XCTAssertEqual(ck.local.salt.count, 12)

        // SRTP with the exported keys works across.
        let tx = try XCTUnwrap(SrtpContext(profile: ck.profile, master: ck.local))
        let rx = try XCTUnwrap(SrtpContext(profile: sk.profile, master: sk.remote))
        var p: [UInt8] = [0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3]
        try tx.protectRtp(&p)
        try rx.unprotectRtp(&p)
        XCTAssertEqual(p, [0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3])

        // Application data both ways, then close_notify.
        let out = client.write(Array("ping".utf8))
        XCTAssertEqual(out.flatMap { server.handle($0[...]).applicationData }, [Array("ping".utf8)])
        for d in server.close() { _ = client.handle(d[...]) }
        XCTAssertEqual(client.state, .closed)
    }

    func testCmProfileWhenThePeerOffersOnlyIt() throws {
        let a = try XCTUnwrap(DtlsCertificate()), b = try XCTUnwrap(DtlsCertificate(serial: 3))
        let client = try XCTUnwrap(DtlsEndpoint(certificate: a, client: true, remoteFingerprint: b.fingerprint, profiles: [.aes128CmHmacSha1_80]))
        let server = try XCTUnwrap(DtlsEndpoint(certificate: b, client: false, remoteFingerprint: a.fingerprint))
        exchange(client, server, first: client.start())
        XCTAssertEqual(server.state, .connected(.aes128CmHmacSha1_80))
        XCTAssertEqual(server.srtpKeys?.local.salt.count, 14)
    }

    func testFingerprintMismatchFails() throws {
        let a = try XCTUnwrap(DtlsCertificate()), b = try XCTUnwrap(DtlsCertificate(serial: 4)), other = try XCTUnwrap(DtlsCertificate(serial: 5))
        let client = try XCTUnwrap(DtlsEndpoint(certificate: a, client: true, remoteFingerprint: b.fingerprint))
        let server = try XCTUnwrap(DtlsEndpoint(certificate: b, client: false, remoteFingerprint: other.fingerprint))
        exchange(client, server, first: client.start())
        XCTAssertEqual(server.state, .failed("DTLS peer certificate does not match the SDP fingerprint"))
        XCTAssertNil(server.srtpKeys)
    }

    func testLostFlightLeavesATimerAndGarbageIsHarmless() throws {
        let a = try XCTUnwrap(DtlsCertificate()), b = try XCTUnwrap(DtlsCertificate(serial: 6))
        let client = try XCTUnwrap(DtlsEndpoint(certificate: a, client: true, remoteFingerprint: b.fingerprint))
        let server = try XCTUnwrap(DtlsEndpoint(certificate: b, client: false, remoteFingerprint: a.fingerprint))
        _ = client.start()   // lost
        let delay = try XCTUnwrap(client.retransmitDelayMicros())
        XCTAssertGreaterThan(delay, 0)
        XCTAssertLessThanOrEqual(delay, 1_000_000)
        var rng = SplitMix64(seed: 0xD71)
        for _ in 0..<300 {
            var bytes = (0..<Int(1 + rng.next() % 300)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes[0] = 20 + UInt8(rng.next() % 4)
            _ = server.handle(bytes[...])
        }
        // Garbage is discarded record by record (RFC 6347 4.1.2.7): the server can still complete a handshake.
        if server.state == .handshaking {
            let fresh = try XCTUnwrap(DtlsEndpoint(certificate: a, client: true, remoteFingerprint: b.fingerprint))
            exchange(fresh, server, first: fresh.start())
            XCTAssertEqual(server.state, .connected(.aeadAes128Gcm))
        } else {
            XCTAssertNotEqual(server.state, .connected(.aeadAes128Gcm))
        }
    }

    func testRecordSplitterNeverCutsARecord() {
        let record = { (n: Int) -> [UInt8] in [22, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 8) + [UInt8(n >> 8), UInt8(n & 0xFF)] + [UInt8](repeating: 7, count: n) }
        let flight = record(500) + record(600) + record(100) + record(1500)
        let datagrams = DtlsRecords.datagrams(flight, mtu: 1200)
        XCTAssertEqual(datagrams.map(\.count), [513 + 613, 113, 1513])
        XCTAssertEqual(DtlsRecords.datagrams(Array(flight.prefix(20)), mtu: 1200), [])
    }
}
