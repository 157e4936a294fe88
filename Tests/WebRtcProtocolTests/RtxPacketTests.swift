import RtpFormats
import TestSupport
import XCTest
@testable import WebRtcProtocol

/// RFC 4588 4 layout. The first two vectors were made by aiortc 1.16's `wrap_rtx` (an independent implementation);
/// the header-extension and padding cases are laid out by hand from RFC 4588 4 and RFC 3550 5.1/5.3.1.
final class RtxPacketTests: XCTestCase {
    func testWrapMatchesAiortc() {
        // PT 102, marker, seq 0x1234 -> RTX PT 103, SSRC 0x55667788, seq 7, OSN 0x1234 before the payload.
        let original = hexBytes("80e61234 deadbeef 11223344 7c85aabbcc")
        XCTAssertEqual(RtxPacket.wrap(original[...], payloadType: 103, ssrc: 0x5566_7788, sequence: 7),
                       hexBytes("80e70007 deadbeef 55667788 1234 7c85aabbcc"))
        // A CSRC stays in the header; the OSN goes after it. Sequence 65535 both ways.
        let withCsrc = hexBytes("8160ffff 00015f90 00000001 a1a2a3a4 0102")
        XCTAssertEqual(RtxPacket.wrap(withCsrc[...], payloadType: 97, ssrc: 2, sequence: 65_535),
                       hexBytes("8161ffff 00015f90 00000002 a1a2a3a4 ffff 0102"))
    }

    func testHeaderExtensionIsKeptAndPaddingDropped() {
        // X bit, RFC 8285 one-byte extension (0xBEDE, one word: id 1 "0"), P bit with 3 octets of padding.
        let original = hexBytes("b0600010 00000064 0000000a bede0001 10300000 aabb 000003")
        let rtx = RtxPacket.wrap(original[...], payloadType: 97, ssrc: 0xb, sequence: 0x0100)
        XCTAssertEqual(rtx, hexBytes("90610100 00000064 0000000b bede0001 10300000 0010 aabb"))
        let back = rtx.flatMap { RtxPacket.unwrap($0[...], payloadType: 96, ssrc: 0xa) }
        XCTAssertEqual(back, RtpPacket(marker: false, payloadType: 96, sequence: 0x10, timestamp: 100, ssrc: 0xa, payload: hexBytes("aabb")[...]))
    }

    func testMalformedOriginalsAndProbesAreRefused() {
        XCTAssertNil(RtxPacket.wrap(hexBytes("80e61234 deadbeef 1122")[...], payloadType: 97, ssrc: 1, sequence: 1))
        XCTAssertNil(RtxPacket.wrap(hexBytes("40e61234 deadbeef 11223344 00")[...], payloadType: 97, ssrc: 1, sequence: 1))
        // An RTX packet with nothing after the OSN is a bandwidth probe, not a repair.
        XCTAssertNil(RtxPacket.unwrap(hexBytes("80610001 00000000 00000002 0005")[...], payloadType: 96, ssrc: 1))
    }

    func testStreamCountsItsOwnSequenceAcrossTheWrap() {
        var stream = RtxStream(payloadType: 97, ssrc: 9, firstSequence: 65_535)
        let original = hexBytes("80600005 00000001 00000001 aa")
        let first = stream.repair(original[...]), second = stream.repair(original[...])
        XCTAssertEqual(first.map { Array($0[2..<4]) }, [0xff, 0xff])
        XCTAssertEqual(second.map { Array($0[2..<4]) }, [0x00, 0x00])
        // Both carry the same OSN: the stream numbers the repairs, the OSN names what they repair.
        XCTAssertEqual(first.map { Array($0[12..<14]) }, [0x00, 0x05])
        XCTAssertEqual(second.map { Array($0[12..<14]) }, [0x00, 0x05])
        XCTAssertNil(stream.repair(hexBytes("80")[...]))
        XCTAssertEqual(stream.nextSequence, 1, "a refused original uses no sequence number")
    }

    func testSeededGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 4588)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let rtx = RtxPacket.wrap(bytes[...], payloadType: 97, ssrc: 3, sequence: 1) {
                // An empty original makes an OSN-only packet, which unwrap takes for a probe.
                XCTAssertEqual(RtxPacket.unwrap(rtx[...], payloadType: 96, ssrc: 4)?.payload.count ?? 0, RtpPacket(bytes[...])?.payload.count)
            }
        }
    }
}
