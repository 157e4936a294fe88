import RtpFormats
import TestSupport
import XCTest

final class RtpPacketTests: XCTestCase {
    func testHeaderFieldsOfACapturedPacket() throws {
        let bytes = RtpVectors.named("h264-ffmpeg").packets[4]
        let p = try XCTUnwrap(RtpPacket(bytes[...]))
        XCTAssertTrue(p.marker)
        XCTAssertEqual(p.payloadType, 96)
        XCTAssertEqual(p.sequence, 1)
        XCTAssertEqual(p.timestamp, 0xFF12_9324)
        XCTAssertEqual(p.ssrc, 0x1122_3344)
        XCTAssertEqual(p.payload.count, bytes.count - 12)
        XCTAssertEqual(p.encode(), bytes)
    }

    /// RFC 3550 5.1 / 5.3.1: two CSRCs, a one-word header extension and 3 bytes of padding around a 2-byte payload.
    func testCsrcExtensionAndPaddingAreRemoved() throws {
        let bytes = RtpVectors.h("""
            b2e1 0102 0a0b0c0d 11223344  aaaaaaaa bbbbbbbb  bede 0001 12345678  c0de  000003
            """)
        let p = try XCTUnwrap(RtpPacket(bytes[...]))
        XCTAssertEqual(Array(p.payload), [0xC0, 0xDE])
        XCTAssertTrue(p.marker)
        XCTAssertEqual(p.payloadType, 97)
        XCTAssertEqual(p.sequence, 0x0102)
    }

    func testMalformedHeadersAreRefused() {
        let good = RtpVectors.h("80600001 00000000 00000000 ff")
        XCTAssertNotNil(RtpPacket(good[...]))
        XCTAssertNil(RtpPacket(RtpVectors.h("40600001 00000000 00000000 ff")[...]), "version 1")
        XCTAssertNil(RtpPacket(RtpVectors.h("81600001 00000000 00000000")[...]), "CSRC past the end")
        XCTAssertNil(RtpPacket(RtpVectors.h("90600001 00000000 00000000 bede0002 00000000")[...]), "extension past the end")
        XCTAssertNil(RtpPacket(RtpVectors.h("a0600001 00000000 00000000 ff00")[...]), "zero padding count")
        XCTAssertNil(RtpPacket(RtpVectors.h("a0600001 00000000 00000000 ff03")[...]), "padding longer than the payload")
        XCTAssertEqual(RtpPacket(RtpVectors.h("a0600001 00000000 00000000 ff02")[...])?.payload.count, 0)
        for n in 0..<12 { XCTAssertNil(RtpPacket(good.prefix(n))) }
    }

    func testSlicesKeepTheirOwnIndices() throws {
        let datagram: [UInt8] = [0xEE, 0xEE] + RtpVectors.h("80e00005 00000001 00000002 0102")
        let p = try XCTUnwrap(RtpPacket(datagram[2...]))
        XCTAssertEqual(Array(p.payload), [1, 2])
        XCTAssertEqual(p.sequence, 5)
    }

    func testRtcpIsToldApartOnASharedPort() {
        XCTAssertTrue(RtpPacket.isRtcp(RtpVectors.ffmpegSenderReport[...]))
        XCTAssertFalse(RtpPacket.isRtcp(RtpVectors.named("opus-ffmpeg").packets[0][...]))
    }

    func testRandomBytesNeverTrap() {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<5000 {
            var bytes = [UInt8].random(count: Int.random(in: 0..<64, using: &rng), using: &rng)
            if !bytes.isEmpty { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
            if let p = RtpPacket(bytes[...]) {
                XCTAssertLessThanOrEqual(p.payload.count, bytes.count - 12)
            }
        }
    }
}
