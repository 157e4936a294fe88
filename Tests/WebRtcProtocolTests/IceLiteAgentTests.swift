import TestSupport
import XCTest
@testable import WebRtcProtocol

final class IceLiteAgentTests: XCTestCase {
    let local = IceCredentials(ufrag: "srvU", password: "serverpassword0123456789")
    let tuple = FiveTuple(local: TransportAddress(ip: IpAddress(v4: 127, 0, 0, 1), port: 8000),
                          remote: TransportAddress(ip: IpAddress(v4: 127, 0, 0, 1), port: 50_000))
    let moved = FiveTuple(local: TransportAddress(ip: IpAddress(v4: 127, 0, 0, 1), port: 8000),
                          remote: TransportAddress(ip: IpAddress(v4: 10, 1, 2, 3), port: 40_000))

    func check(username: String? = nil, password: String? = nil, useCandidate: Bool = false, controlled: Bool = false,
               extra: [StunAttribute] = [], id: UInt8 = 1) -> [UInt8] {
        var attributes: [StunAttribute] = [.username(username ?? "srvU:cliU"), .priority(1_853_817_087)]
        attributes.append(controlled ? .iceControlled(tieBreaker: 7) : .iceControlling(tieBreaker: 7))
        if useCandidate { attributes.append(.useCandidate) }
        let m = StunMessage(class: .request, transactionId: [UInt8](repeating: id, count: 12), attributes: attributes + extra)
        return m.encode(integrityKey: Array((password ?? local.password).utf8), fingerprint: true)
    }

    func agent() -> IceLiteAgent {
        var a = IceLiteAgent()
        XCTAssertTrue(a.addSession(local: local, remoteUfrag: "cliU", nowMs: 0))
        return a
    }

    func testValidCheckAnswersWithMappedAddressAndIntegrity() throws {
        var a = agent()
        guard case .reply(let bytes, let ufrag, let event) = a.handle(datagram: check()[...], tuple: tuple, nowMs: 10) else {
            return XCTFail("no reply")
        }
        XCTAssertEqual(ufrag, "srvU")
        XCTAssertEqual(event, .selected(ufrag: "srvU", pair: tuple, nominated: false))
        let response = try StunMessage(parsing: bytes)
        XCTAssertEqual(response.messageClass, .successResponse)
        XCTAssertEqual(response.transactionId, [UInt8](repeating: 1, count: 12))
        XCTAssertEqual(response.xorMappedAddress, tuple.remote)
        XCTAssertTrue(response.hasFingerprint)
        XCTAssertTrue(response.verifyIntegrity(of: bytes[...], key: Array(local.password.utf8)))
        XCTAssertEqual(a.state(ufrag: "srvU"), .connected(tuple))
        XCTAssertEqual(a.session(for: tuple), "srvU")
    }

    func testUseCandidateNominatesAndMigrates() {
        var a = agent()
        _ = a.handle(datagram: check()[...], tuple: tuple, nowMs: 0)
        guard case .reply(_, _, let e1) = a.handle(datagram: check(useCandidate: true)[...], tuple: tuple, nowMs: 5) else { return XCTFail() }
        XCTAssertEqual(e1, .selected(ufrag: "srvU", pair: tuple, nominated: true))
        XCTAssertEqual(a.state(ufrag: "srvU"), .nominated(tuple))
        // A repeated nomination on the same pair is no new event.
        guard case .reply(_, _, let e2) = a.handle(datagram: check(useCandidate: true)[...], tuple: tuple, nowMs: 6) else { return XCTFail() }
        XCTAssertNil(e2)
        // A check without USE-CANDIDATE from a new address does not move media; a nomination does.
        guard case .reply(_, _, let e3) = a.handle(datagram: check()[...], tuple: moved, nowMs: 7) else { return XCTFail() }
        XCTAssertNil(e3)
        guard case .reply(_, _, let e4) = a.handle(datagram: check(useCandidate: true)[...], tuple: moved, nowMs: 8) else { return XCTFail() }
        XCTAssertEqual(e4, .selected(ufrag: "srvU", pair: moved, nominated: true))
        // Both pairs still deliver media until their consent ends.
        XCTAssertEqual(a.handle(datagram: [0x80, 96, 0, 1][...], tuple: tuple, nowMs: 9), .payload(ufrag: "srvU", .rtp))
        XCTAssertEqual(a.handle(datagram: [0x16, 0xFE, 0xFD][...], tuple: moved, nowMs: 9), .payload(ufrag: "srvU", .dtls))
        XCTAssertEqual(a.handle(datagram: [0x80, 200, 0, 1][...], tuple: moved, nowMs: 9), .payload(ufrag: "srvU", .rtcp))
    }

    func testBadCredentialsAndUnknownSenders() throws {
        var a = agent()
        guard case .reply(let bytes, _, nil) = a.handle(datagram: check(password: "wrongpassword0123456789x")[...], tuple: tuple, nowMs: 0) else {
            return XCTFail()
        }
        XCTAssertEqual(try StunMessage(parsing: bytes).errorCode, 401)
        guard case .reply(let b2, _, nil) = a.handle(datagram: check(username: "srvU:other")[...], tuple: tuple, nowMs: 0) else { return XCTFail() }
        XCTAssertEqual(try StunMessage(parsing: b2).errorCode, 401)
        XCTAssertEqual(a.handle(datagram: check(username: "nope:cliU")[...], tuple: tuple, nowMs: 0), .dropped(.unknownUfrag))
        XCTAssertEqual(a.state(ufrag: "srvU"), .waiting)
        // Media before any valid check is dropped.
        XCTAssertEqual(a.handle(datagram: [0x80, 96, 0, 1][...], tuple: tuple, nowMs: 0), .dropped(.unknownTuple))
        XCTAssertEqual(a.handle(datagram: [0xFF][...], tuple: tuple, nowMs: 0), .dropped(.unknownKind))
        let noIntegrity = StunMessage(class: .request, transactionId: [UInt8](repeating: 3, count: 12), attributes: [.username("srvU:cliU")]).encode()
        guard case .reply(let b3, nil, nil) = a.handle(datagram: noIntegrity[...], tuple: tuple, nowMs: 0) else { return XCTFail() }
        XCTAssertEqual(try StunMessage(parsing: b3).errorCode, 400)
    }

    func testRoleConflictAndUnknownRequiredAttribute() throws {
        var a = agent()
        guard case .reply(let b1, _, nil) = a.handle(datagram: check(controlled: true)[...], tuple: tuple, nowMs: 0) else { return XCTFail() }
        XCTAssertEqual(try StunMessage(parsing: b1).errorCode, 487)
        guard case .reply(let b2, _, nil) = a.handle(datagram: check(extra: [.other(type: 0x7ABC, value: [])])[...], tuple: tuple, nowMs: 0) else {
            return XCTFail()
        }
        let r = try StunMessage(parsing: b2)
        XCTAssertEqual(r.errorCode, 420)
        XCTAssertTrue(r.attributes.contains(.unknownAttributes([0x7ABC])))
        XCTAssertEqual(a.state(ufrag: "srvU"), .waiting)
    }

    func testTimeoutsAreDrivenByTheTimeInput() {
        var a = agent()
        XCTAssertTrue(a.addSession(local: IceCredentials(ufrag: "idle", password: local.password), remoteUfrag: nil, nowMs: 0))
        XCTAssertFalse(a.addSession(local: local, remoteUfrag: nil, nowMs: 0))
        _ = a.handle(datagram: check(useCandidate: true)[...], tuple: tuple, nowMs: 1_000)
        XCTAssertEqual(a.nextDeadline(), 15_000)
        XCTAssertEqual(a.tick(nowMs: 14_999), [])
        XCTAssertEqual(a.tick(nowMs: 15_000), [.failed(ufrag: "idle", .noCheck)])
        // Consent refreshed at 20 s lasts to 50 s.
        _ = a.handle(datagram: check(id: 2)[...], tuple: tuple, nowMs: 20_000)
        XCTAssertEqual(a.tick(nowMs: 49_999), [])
        XCTAssertEqual(a.state(ufrag: "srvU"), .nominated(tuple))
        XCTAssertEqual(a.tick(nowMs: 50_000), [.failed(ufrag: "srvU", .consentExpired)])
        XCTAssertEqual(a.tick(nowMs: 60_000), [])
        XCTAssertEqual(a.handle(datagram: [0x80, 96, 0, 1][...], tuple: tuple, nowMs: 60_001), .dropped(.unknownTuple))
        XCTAssertEqual(a.handle(datagram: check(id: 4)[...], tuple: tuple, nowMs: 60_002), .dropped(.sessionFailed))
        a.removeSession(ufrag: "srvU")
        a.removeSession(ufrag: "idle")
        XCTAssertEqual(a.sessionCount, 0)
        XCTAssertNil(a.nextDeadline())
    }

    func testSeededGarbageIsDroppedWithoutEffect() {
        var a = agent()
        var rng = SplitMix64(seed: 0x1CE)
        let valid = check()
        for _ in 0..<10_000 {
            var bytes = rng.next() & 1 == 0 ? valid : (0..<Int(rng.next() % 200)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8.random(in: 1...255, using: &rng) }
            if case .reply(let r, _, _) = a.handle(datagram: bytes[...], tuple: tuple, nowMs: 0) {
                XCTAssertNotNil(try? StunMessage(parsing: r))
            }
        }
        XCTAssertEqual(a.state(ufrag: "srvU"), .waiting)
    }
}
