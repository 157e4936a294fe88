import TestSupport
import XCTest
@testable import WebRtcProtocol

final class SrtpTests: XCTestCase {
    // RFC 3711 Appendix B.3: key derivation.
    func testRfc3711KeyDerivation() throws {
        let master = SrtpMasterKey(key: hexBytes("E1F97A0D3E018BE0D64FA32C06DE4139"), salt: hexBytes("0EC675AD498AFEEBB6960B3AABE6"))
        XCTAssertEqual(SrtpKeyDerivation.derive(master, label: .rtpEncryption, length: 16), hexBytes("C61E7A93744F39EE10734AFE3FF7A087"))
        XCTAssertEqual(SrtpKeyDerivation.derive(master, label: .rtpSalt, length: 14), hexBytes("30CBBC08863D8C85D49DB34A9AE1"))
        XCTAssertEqual(SrtpKeyDerivation.derive(master, label: .rtpAuthentication, length: 20),
                       hexBytes("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"))
    }

    // RFC 3711 Appendix B.2: AES-CM keystream for session salt F0F1...FD, SSRC 0, index 0.
    func testRfc3711CounterModeKeystream() throws {
        let iv = SrtpContext.counterIv(salt: hexBytes("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), ssrc: 0, index: 0)
        XCTAssertEqual(iv, hexBytes("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"))
        let stream = try XCTUnwrap(AesCounterMode.keystream(key: hexBytes("2B7E151628AED2A6ABF7158809CF4F3C"), iv: iv, length: 0xFF02 * 16))
        XCTAssertEqual(Array(stream[0..<48]), hexBytes("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0"))
        XCTAssertEqual(Array(stream[(0xFEFF * 16)...]), hexBytes("""
            EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE 6A2CC3787889374FBEB4C81B17BA6C44
            """))
    }

    // RFC 7714 section 16.1 (SRTP) and 17.1 (SRTCP) with the published session key and salt.
    let gcmKey = hexBytes("000102030405060708090a0b0c0d0e0f")
    let gcmSalt = hexBytes("517569642070726f2071756f")
    let gcmRtp = hexBytes("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573")
    let gcmSrtp = hexBytes("""
        8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf
        8833899d 7f27beb1 6a9152cf 765ee439 0cce
        """)
    let gcmRtcp = hexBytes("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef")
    let gcmSrtcp = hexBytes("""
        81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded
        0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4
        """)

    func testRfc7714GcmVectors() throws {
        XCTAssertEqual(SrtpContext.gcmIv(salt: gcmSalt, ssrc: 0x5501_A0B2, index: 0xF17B), hexBytes("51753c6580c2726f20718414"))
        let sender = try XCTUnwrap(SrtpContext(gcmSessionKey: gcmKey, salt: gcmSalt))
        var packet = gcmRtp
        try sender.protectRtp(&packet)
        XCTAssertEqual(packet, gcmSrtp)
        let receiver = try XCTUnwrap(SrtpContext(gcmSessionKey: gcmKey, salt: gcmSalt))
        try receiver.unprotectRtp(&packet)
        XCTAssertEqual(packet, gcmRtp)

        var rtcp = gcmRtcp
        try sender.sealRtcp(&rtcp, ssrc: 0x4D61_7273, index: 0x5D4)
        XCTAssertEqual(rtcp, gcmSrtcp)
        try receiver.unprotectRtcp(&rtcp)
        XCTAssertEqual(rtcp, gcmRtcp)
        var tampered = gcmSrtcp
        tampered[30] ^= 0x08
        XCTAssertThrowsError(try XCTUnwrap(SrtpContext(gcmSessionKey: gcmKey, salt: gcmSalt)).unprotectRtcp(&tampered)) {
            XCTAssertEqual($0 as? SrtpError, .authenticationFailed)
        }
    }

    // Packets protected by libsrtp 2 (pylibsrtp 1.0, aiortc's binding) with master key 01..1e / 01..1c.
    let plain = hexBytes("80e0123400000fa0cafebabe68656c6c6f2073727470207061796c6f616421")
    let plainRtcp = hexBytes("81c80006 cafebabe 00000001 00000002 00000003 00000004 00000005")

    func testInteropWithLibsrtp() throws {
        let cases: [(SrtpProfile, Int, [UInt8], [UInt8])] = [
            (.aes128CmHmacSha1_80, 30,
             hexBytes("80e0123400000fa0cafebabe98623df50269f05f55d8b5e73e2d82a221114b956e213d66ad9c3fe0c6"),
             hexBytes("81c80006cafebabea85b0959357dbdff31991305837178d5d33c36fc800000018d920875fe6a67330cf3")),
            (.aeadAes128Gcm, 28,
             hexBytes("80e0123400000fa0cafebabee54421a940c3ac888f631edec8aa628e72ea2d36e57456a5b9e990d2ca2a26b91bc148"),
             hexBytes("81c80006cafebabe70d7c81ed8908ff6b018a46f41c0ee2713da8b1c57788c4a3f6cc0eb7c1d9d2a6bc4dc0780000001")),
        ]
        for (profile, total, srtp, srtcp) in cases {
            let material = (1...total).map { UInt8($0) }
            let master = SrtpMasterKey(key: Array(material[0..<16]), salt: Array(material[16...]))
            let ours = try XCTUnwrap(SrtpContext(profile: profile, master: master))
            var p = plain
            try ours.protectRtp(&p)
            XCTAssertEqual(p, srtp, "\(profile)")
            var r = plainRtcp
            try ours.sealRtcp(&r, ssrc: 0xCAFE_BABE, index: 1)   // libsrtp's first SRTCP index is 1
            XCTAssertEqual(r, srtcp, "\(profile)")
            let peer = try XCTUnwrap(SrtpContext(profile: profile, master: master))
            var q = srtp
            try peer.unprotectRtp(&q)
            XCTAssertEqual(q, plain)
            var s = srtcp
            try peer.unprotectRtcp(&s)
            XCTAssertEqual(s, plainRtcp)
            // The same packet again is a replay.
            var again = srtp
            XCTAssertThrowsError(try peer.unprotectRtp(&again)) { XCTAssertEqual($0 as? SrtpError, .replayed) }
            var againRtcp = srtcp
            XCTAssertThrowsError(try peer.unprotectRtcp(&againRtcp)) { XCTAssertEqual($0 as? SrtpError, .replayed) }
        }
    }

    func testRolloverAcrossSequenceWrapAndReordering() throws {
        for profile in [SrtpProfile.aes128CmHmacSha1_80, .aeadAes128Gcm] {
            let master = SrtpMasterKey(key: Array(repeating: 7, count: 16), salt: Array(repeating: 9, count: profile.saltLength))
            let tx = try XCTUnwrap(SrtpContext(profile: profile, master: master))
            let rx = try XCTUnwrap(SrtpContext(profile: profile, master: master))
            var wire: [[UInt8]] = []
            for i in 0..<40 {
                let seq = UInt16(truncatingIfNeeded: 65_520 + i)
                var p: [UInt8] = [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0, 0, 0, 0, 0, 42] + Array(repeating: UInt8(i), count: 100)
                try tx.protectRtp(&p)
                wire.append(p)
            }
            // A retransmission of seq 65535 after the wrap keeps its ROC: the same bytes as the first time.
            var again: [UInt8] = [0x80, 96, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 42] + Array(repeating: UInt8(15), count: 100)
            try tx.protectRtp(&again)
            XCTAssertEqual(again, wire[15])
            // Deliver with a swap across the wrap point: index 15 (seq 65535) after 16 (seq 0).
            wire.swapAt(15, 16)
            for (n, var p) in wire.enumerated() {
                try rx.unprotectRtp(&p)
                XCTAssertEqual(p.count, 112, "packet \(n)")
            }
            XCTAssertEqual(SrtpContext.estimateRoc(roc: 1, highest: 10, seq: 65_530), 0)
            XCTAssertEqual(SrtpContext.estimateRoc(roc: 1, highest: 65_530, seq: 5), 2)
        }
    }

    func testBadTagsTruncationAndOldPacketsAreRefused() throws {
        let master = SrtpMasterKey(key: Array(repeating: 1, count: 16), salt: Array(repeating: 2, count: 14))
        let tx = try XCTUnwrap(SrtpContext(profile: .aes128CmHmacSha1_80, master: master))
        let rx = try XCTUnwrap(SrtpContext(profile: .aes128CmHmacSha1_80, master: master))
        var packets: [[UInt8]] = []
        for seq in 0..<200 {
            var p: [UInt8] = [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0, 0, 0, 0, 0, 1, 0xAA, 0xBB]
            try tx.protectRtp(&p)
            packets.append(p)
        }
        var bad = packets[0]
        bad[13] ^= 1
        XCTAssertThrowsError(try rx.unprotectRtp(&bad)) { XCTAssertEqual($0 as? SrtpError, .authenticationFailed) }
        var short = Array(packets[0].prefix(12))
        XCTAssertThrowsError(try rx.unprotectRtp(&short)) { XCTAssertEqual($0 as? SrtpError, .malformed) }
        var latest = packets[199]
        try rx.unprotectRtp(&latest)
        var old = packets[10]
        XCTAssertThrowsError(try rx.unprotectRtp(&old)) { XCTAssertEqual($0 as? SrtpError, .tooOld) }
        var recent = packets[150]
        XCTAssertNoThrow(try rx.unprotectRtp(&recent))
        XCTAssertNil(SrtpContext(profile: .aeadAes128Gcm, master: master), "a 14-byte salt is not a GCM salt")
    }

    func testSeededGarbageIsRefusedWithoutCrashing() throws {
        let master = SrtpMasterKey(key: Array(repeating: 3, count: 16), salt: Array(repeating: 4, count: 12))
        let rx = try XCTUnwrap(SrtpContext(profile: .aeadAes128Gcm, master: master))
        var rng = SplitMix64(seed: 0x5A7B)
        for _ in 0..<5_000 {
            var bytes = (0..<Int(rng.next() % 80)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !bytes.isEmpty { bytes[0] = 0x80 | bytes[0] & 0x3F }
            var copy = bytes
            XCTAssertThrowsError(try rx.unprotectRtp(&bytes))
            XCTAssertThrowsError(try rx.unprotectRtcp(&copy))
        }
    }
}
