import RtpFormats
import TestSupport
import XCTest

final class RtcpTests: XCTestCase {
    private let ffmpegSR = RtcpSenderReport(ssrc: 0x1122_3344, ntpTime: NtpTime(0xEEB2_84CE_A353_F7CE), rtpTime: 0x7906_4A73,
                                            packetCount: 0, octetCount: 0)

    func testParsesFfmpegSenderReportAndSdes() {
        XCTAssertEqual(RtcpPacket.parseCompound(RtpVectors.ffmpegSenderReport[...]), [.senderReport(ffmpegSR), .other(202)])
        var last = ffmpegSR
        last.ntpTime = NtpTime(0xEEB2_84CE_BD2F_1A9F)
        last.rtpTime = 0x7906_5D63
        last.packetCount = 6
        last.octetCount = 250
        XCTAssertEqual(RtcpPacket.parseCompound(RtpVectors.ffmpegSenderReportBye[...]), [.senderReport(last), .other(202), .bye([0x1122_3344])])
    }

    func testEncodesTheSameSenderReportAndCnameAsFfmpeg() {
        XCTAssertEqual(hexString(ffmpegSR.encode(cname: "mediarouter@test")), hexString(RtpVectors.ffmpegSenderReport))
        XCTAssertEqual(ffmpegSR.encode(), Array(RtpVectors.ffmpegSenderReport.prefix(28)))
    }

    func testReceiverReportVector() {
        let block = RtcpReportBlock(ssrc: 0x1122_3344, fractionLost: 0x40, cumulativeLost: 5, extendedHighestSequence: 0x0001_0010,
                                    jitter: 0x20, lastSenderReport: NtpTime(0xEEB2_84CE_A353_F7CE).middle32,
                                    delaySinceLastSenderReport: RtcpReportBlock.delay(microseconds: 1_500_000))
        let rr = RtcpReceiverReport(ssrc: 0x0102_0304, report: block)
        XCTAssertEqual(hexString(rr.encode()), hexString(RtpVectors.receiverReport))
        XCTAssertEqual(RtcpPacket.parseCompound(RtpVectors.receiverReport[...]), [.receiverReport(rr)])
    }

    func testRoundTripsWithSeveralBlocksNegativeLossAndCname() {
        let blocks = (0..<3).map {
            RtcpReportBlock(ssrc: UInt32($0), fractionLost: UInt8($0), cumulativeLost: [-1, 0x7F_FFFF, -0x80_0000][$0],
                            extendedHighestSequence: 0xFFFF_FFFF, jitter: 1, lastSenderReport: 2, delaySinceLastSenderReport: 3)
        }
        let sr = RtcpSenderReport(ssrc: 9, ntpTime: NtpTime(unixMicroseconds: 1_795_684_942_000_000), rtpTime: 1, packetCount: 2, octetCount: 3, reports: blocks)
        for cname in ["", "a", "ab", "abc", "abcd", String(repeating: "x", count: 300)] {
            let bytes = sr.encode(cname: cname)
            XCTAssertEqual(bytes.count % 4, 0, "32-bit aligned with a \(cname.count)-byte CNAME")
            XCTAssertEqual(RtcpPacket.parseCompound(bytes[...]), [.senderReport(sr), .other(202)])
        }
        let rr = RtcpReceiverReport(ssrc: 1, reports: blocks)
        XCTAssertEqual(RtcpPacket.parseCompound((rr.encode() + sr.encode())[...]), [.receiverReport(rr), .senderReport(sr)])
        // Out-of-range losses are clamped to the 24-bit field.
        let clamped = RtcpReceiverReport(ssrc: 1, report: RtcpReportBlock(ssrc: 2, fractionLost: 0, cumulativeLost: -20_000_000, extendedHighestSequence: 0,
                                                                         jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0))
        guard case .receiverReport(let parsed)? = RtcpPacket.parseCompound(clamped.encode()[...]).first else { return XCTFail() }
        XCTAssertEqual(parsed.reports.first?.cumulativeLost, -0x80_0000)
    }

    func testTruncationAndGarbageNeverTrap() {
        for bytes in [RtpVectors.ffmpegSenderReport, RtpVectors.ffmpegSenderReportBye, RtpVectors.receiverReport] {
            let full = RtcpPacket.parseCompound(bytes[...])
            for n in 0..<bytes.count {
                let partial = RtcpPacket.parseCompound(bytes.prefix(n))
                XCTAssertLessThan(partial.count, full.count + 1)
                XCTAssertEqual(partial, Array(full.prefix(partial.count)), "a prefix parses to a prefix")
            }
        }
        // A report count the length cannot hold, padding longer than the packet.
        XCTAssertEqual(RtcpPacket.parseCompound(RtpVectors.h("81c90001 01020304")[...]), [])
        XCTAssertEqual(RtcpPacket.parseCompound(RtpVectors.h("a0c90001 01020309")[...]), [])
        var rng = SplitMix64(seed: 3550)
        for _ in 0..<3000 {
            var bytes = [UInt8].random(count: Int.random(in: 0..<80, using: &rng), using: &rng)
            if bytes.count > 4 { bytes[0] = 0x80 | (bytes[0] & 0x3F); bytes[1] = UInt8.random(in: 200...204, using: &rng) }
            _ = RtcpPacket.parseCompound(bytes[...])
        }
    }

    func testNtpTime() {
        let ntp = NtpTime(0xEEB2_84CE_A353_F7CE)
        XCTAssertEqual(ntp.middle32, 0x84CE_A353)
        XCTAssertEqual(ntp.unixMicroseconds / 1_000_000, 0xEEB2_84CE - 2_208_988_800, "ffmpeg's capture time, 2026")
        for us: Int64 in [0, 1, 999_999, 1_795_684_942_637_999, 2_085_978_495_999_999, 2_085_978_496_000_000, 4_000_000_000_000_000] {
            XCTAssertEqual(NtpTime(unixMicroseconds: us).unixMicroseconds, us, "\(us)")
        }
        XCTAssertEqual(NtpTime(unixMicroseconds: 0).value, 2_208_988_800 << 32)
        XCTAssertEqual(NtpTime(unixMicroseconds: 500_000).fraction, 0x8000_0000)
        // 2036-02-07 06:28:16 UTC: NTP era 1 begins, seconds wrap to 0.
        XCTAssertEqual(NtpTime(unixMicroseconds: 2_085_978_496_000_000).seconds, 0)
        XCTAssertEqual(RtcpReportBlock.delay(microseconds: 1_500_000), 0x18000)
        XCTAssertEqual(RtcpReportBlock.delay(microseconds: -5), 0)
    }
}
