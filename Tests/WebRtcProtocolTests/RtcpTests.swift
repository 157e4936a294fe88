import RtpFormats
import TestSupport
import XCTest
@testable import WebRtcProtocol

/// Vectors serialized by aiortc 1.16's RTCP classes (an independent implementation), plus FIR and TWCC laid out
/// by hand from RFC 5104 4.3.1 and draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1.
final class RtcpTests: XCTestCase {
    let nackVector = hexBytes("81cd0005 11223344 55667788 00648005 00750000 00c80000")
    let pliVector = hexBytes("81ce0002 11223344 55667788")
    let sdesVector = hexBytes("81ca0005 01020304 0109 757365724068 6f7374 0000000000")
    let byeVector = hexBytes("82cb0002 01020304 0a0b0c0d")
    let srVector = hexBytes("""
        81c8000c 01020304 e8a1b2c3 d4e5f607 00015f90 0000000a 00002ee0
        0a0b0c0d 19000003 00011170 0000000c 12345678 00010000
        """)
    let rembVector = hexBytes("8fce0005 11223344 00000000 52454d42 010edc6c 55667788")
    let firVector = hexBytes("84ce0004 11223344 00000000 55667788 07000000")
    let twccVector = hexBytes("8fcd0005 11223344 55667788 0001 0001 000010 00 2001 04 000000")

    func testNackBuildsAndParsesTheAiortcVector() {
        let nack = RtcpNack(senderSsrc: 0x1122_3344, mediaSsrc: 0x5566_7788, lost: [100, 101, 103, 116, 117, 200])
        XCTAssertEqual(nack.encode(), nackVector)
        XCTAssertEqual(WebRtcRtcp.parse(nackVector[...]), [.nack(nack)])
        // A run crossing the sequence wrap stays in one entry.
        let wrap = RtcpNack(senderSsrc: 1, mediaSsrc: 2, lost: [65_535, 0, 1])
        XCTAssertEqual(wrap.entries.count, 1)
        XCTAssertEqual(WebRtcRtcp.parse(wrap.encode()[...]), [.nack(wrap)])
    }

    func testPliFirRembTwcc() {
        XCTAssertEqual(rtcpPictureLossIndication(senderSsrc: 0x1122_3344, mediaSsrc: 0x5566_7788), pliVector)
        XCTAssertEqual(WebRtcRtcp.parse(pliVector[...]), [.pictureLossIndication(senderSsrc: 0x1122_3344, mediaSsrc: 0x5566_7788)])
        let fir = RtcpFir(senderSsrc: 0x1122_3344, entries: [(0x5566_7788, 7)])
        XCTAssertEqual(fir.encode(), firVector)
        XCTAssertEqual(WebRtcRtcp.parse(firVector[...]), [.fullIntraRequest(fir)])
        XCTAssertEqual(WebRtcRtcp.parse(rembVector[...]), [.remb(senderSsrc: 0x1122_3344, bitrate: 1_500_000, ssrcs: [0x5566_7788])])
        XCTAssertEqual(WebRtcRtcp.parse(twccVector[...]), [.transportWideFeedback(senderSsrc: 0x1122_3344, mediaSsrc: 0x5566_7788)])
    }

    func testCompoundSrSdesByeFromAiortc() {
        let packets = WebRtcRtcp.parse((srVector + sdesVector + byeVector)[...])
        XCTAssertEqual(packets.count, 3)
        guard case .senderReport(let sr) = packets[0] else { return XCTFail() }
        XCTAssertEqual(sr.ssrc, 0x0102_0304)
        XCTAssertEqual(sr.rtpTime, 90_000)
        XCTAssertEqual(sr.octetCount, 12_000)
        XCTAssertEqual(sr.reports.first?.fractionLost, 25)
        XCTAssertEqual(sr.reports.first?.cumulativeLost, 3)
        XCTAssertEqual(sr.reports.first?.extendedHighestSequence, 70_000)
        XCTAssertEqual(packets[1], .sourceDescription([RtcpCname(ssrc: 0x0102_0304, cname: "user@host")]))
        XCTAssertEqual(packets[2], .bye([0x0102_0304, 0x0A0B_0C0D]))
        // Our own SR + SDES (RtpFormats' writer) reads back.
        XCTAssertEqual(sr.encode(cname: "user@host")[..<srVector.count], srVector[...])
        XCTAssertEqual(WebRtcRtcp.parse(sr.encode(cname: "user@host")[...]).last, .sourceDescription([RtcpCname(ssrc: 0x0102_0304, cname: "user@host")]))
        XCTAssertEqual(WebRtcRtcp.parse(WebRtcRtcp.goodbye(ssrc: 9, cname: "x")[...]).last, .bye([9]))
    }

    func testTruncatedPacketsStopTheWalkAndKeepWhatCameBefore() {
        let compound = pliVector + nackVector
        for cut in 0..<compound.count {
            let packets = WebRtcRtcp.parse(compound[..<cut])
            XCTAssertEqual(packets.count, cut >= pliVector.count ? 1 : 0, "cut \(cut)")
        }
        // SDES whose item runs past its packet.
        var sdes = sdesVector
        sdes[9] = 0x40
        XCTAssertEqual(WebRtcRtcp.parse(sdes[...]), [])
    }

    func testSeededGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 0x0C7C)
        let valid = srVector + sdesVector + nackVector + firVector + rembVector + twccVector
        var total = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int(1 + rng.next() % 6) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8.random(in: 0...255, using: &rng) }
            total += WebRtcRtcp.parse(bytes[...]).count
        }
        XCTAssertGreaterThan(total, 0)
    }
}
