import TestSupport
import XCTest
@testable import WebRtcProtocol

/// RFC 5769 test vectors (section 2.1 request, 2.2 IPv4 response, 2.3 IPv6 response).
enum Rfc5769 {
    static let password = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)
    static let transactionId = hexBytes("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

    static let request = hexBytes("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    static let responseV4 = hexBytes("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    static let responseV6 = hexBytes("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)
}

final class StunMessageTests: XCTestCase {
    func testRfc5769RequestParsesAndVerifies() throws {
        let m = try StunMessage(parsing: Rfc5769.request)
        XCTAssertEqual(m.messageClass, .request)
        XCTAssertEqual(m.method, StunMessage.bindingMethod)
        XCTAssertEqual(m.transactionId, Rfc5769.transactionId)
        XCTAssertEqual(m.username, "evtj:h6vY")
        XCTAssertEqual(m.priority, 0x6E00_01FF)
        XCTAssertTrue(m.attributes.contains(.iceControlled(tieBreaker: 0x932F_F9B1_5126_3B36)))
        XCTAssertTrue(m.attributes.contains(.software("STUN test client")))
        XCTAssertTrue(m.hasFingerprint)
        XCTAssertTrue(m.verifyIntegrity(of: Rfc5769.request[...], key: Rfc5769.password))
        XCTAssertFalse(m.verifyIntegrity(of: Rfc5769.request[...], key: Array("wrong".utf8)))
    }

    func testRfc5769RequestBuildsBitExact() {
        let m = StunMessage(class: .request, transactionId: Rfc5769.transactionId, attributes: [
            .software("STUN test client"), .priority(0x6E00_01FF), .iceControlled(tieBreaker: 0x932F_F9B1_5126_3B36),
            .username("evtj:h6vY"),
        ])
        XCTAssertEqual(m.encode(integrityKey: Rfc5769.password, fingerprint: true, padding: 0x20), Rfc5769.request)
    }

    func testRfc5769ResponsesParseVerifyAndBuildBitExact() throws {
        let cases: [([UInt8], String)] = [
            (Rfc5769.responseV4, "192.0.2.1"), (Rfc5769.responseV6, "2001:db8:1234:5678:11:2233:4455:6677"),
        ]
        for (bytes, address) in cases {
            let m = try StunMessage(parsing: bytes)
            XCTAssertEqual(m.messageClass, .successResponse)
            let mapped = try XCTUnwrap(m.xorMappedAddress)
            XCTAssertEqual(mapped.ip.description, address)
            XCTAssertEqual(mapped.port, 32853)
            XCTAssertTrue(m.verifyIntegrity(of: bytes[...], key: Rfc5769.password))
            let rebuilt = StunMessage(class: .successResponse, transactionId: Rfc5769.transactionId, attributes: [
                .software("test vector"), .xorMappedAddress(TransportAddress(ip: try XCTUnwrap(IpAddress(address)), port: 32853)),
            ])
            XCTAssertEqual(rebuilt.encode(integrityKey: Rfc5769.password, fingerprint: true, padding: 0x20), bytes)
        }
    }

    func testFlippedBitFailsFingerprintOrIntegrity() throws {
        for index in [Rfc5769.request.count - 1, 30, 60] {
            var bytes = Rfc5769.request
            bytes[index] ^= 0x01
            XCTAssertThrowsError(try StunMessage(parsing: bytes)) { XCTAssertEqual($0 as? StunError, .badFingerprint) }
        }
        // Without FINGERPRINT the flipped bit reaches MESSAGE-INTEGRITY.
        let m = StunMessage(class: .request, transactionId: Rfc5769.transactionId, attributes: [.username("a:b")])
        var bytes = m.encode(integrityKey: Rfc5769.password)
        bytes[bytes.count - 1] ^= 0x80
        XCTAssertFalse(try StunMessage(parsing: bytes).verifyIntegrity(of: bytes[...], key: Rfc5769.password))
    }

    func testTruncatedAndNonStunInputIsRefused() {
        for cut in 0..<Rfc5769.request.count {
            XCTAssertThrowsError(try StunMessage(parsing: Array(Rfc5769.request.prefix(cut))), "cut at \(cut)")
        }
        XCTAssertFalse(StunMessage.looksLikeStun(hexBytes("80 60 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")[...]))
        // Attribute length past the declared message length.
        var bad = StunMessage(class: .request, transactionId: Rfc5769.transactionId, attributes: [.username("abcd")]).encode()
        bad[23] = 0x40
        XCTAssertThrowsError(try StunMessage(parsing: bad)) { XCTAssertEqual($0 as? StunError, .truncated) }
        // An attribute after MESSAGE-INTEGRITY other than FINGERPRINT.
        var after = StunMessage(class: .request, transactionId: Rfc5769.transactionId, attributes: []).encode(integrityKey: [1])
        after += [0x00, 0x25, 0x00, 0x00]
        after[3] = UInt8(after.count - 20)
        XCTAssertThrowsError(try StunMessage(parsing: after)) { XCTAssertEqual($0 as? StunError, .attributeAfterIntegrity) }
    }

    func testErrorCodeAndAttributesRoundTrip() throws {
        let m = StunMessage(class: .errorResponse, transactionId: Rfc5769.transactionId, attributes: [
            .errorCode(code: 487, reason: "Role Conflict"), .iceControlling(tieBreaker: 42), .useCandidate,
            .mappedAddress(TransportAddress(ip: IpAddress(v4: 10, 0, 0, 1), port: 9)), .unknownAttributes([0x7777]),
            .other(type: 0xC057, value: [1, 2, 3]),
        ])
        let parsed = try StunMessage(parsing: m.encode(integrityKey: [9, 9], fingerprint: true))
        XCTAssertEqual(parsed, m)
        XCTAssertEqual(parsed.errorCode, 487)
    }

    func testIpAddressText() {
        XCTAssertEqual(IpAddress("::1")?.description, "::1")
        XCTAssertEqual(IpAddress("fe80::1:2")?.description, "fe80::1:2")
        XCTAssertEqual(IpAddress("127.0.0.1")?.bytes, [127, 0, 0, 1])
        XCTAssertNil(IpAddress("256.0.0.1"))
        XCTAssertNil(IpAddress("1::2::3"))
        XCTAssertNil(IpAddress("example.com"))
    }

    func testSeededGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 0x5354_554E)
        var accepted = 0
        for _ in 0..<20_000 {
            // Half start from a valid message and mutate, half are random with a STUN-looking header.
            var bytes = rng.next() & 1 == 0 ? Rfc5769.request : (0..<Int(rng.next() % 120)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes.count >= 8 { bytes[0] &= 0x03; bytes[4...7] = [0x21, 0x12, 0xA4, 0x42] }
            for _ in 0..<Int(rng.next() % 4) where !bytes.isEmpty {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8.random(in: 0...255, using: &rng)
            }
            if let m = try? StunMessage(parsing: bytes) {
                accepted += 1
                _ = m.verifyIntegrity(of: bytes[...], key: Rfc5769.password)
            }
        }
        // Mutated vectors mostly fail FINGERPRINT; a few survive (mutations inside the header's length are caught).
        XCTAssertLessThan(accepted, 20_000)
    }
}
