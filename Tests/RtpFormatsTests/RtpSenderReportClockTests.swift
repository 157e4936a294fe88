import RtpFormats
import TestSupport
import XCTest

final class RtpSenderReportClockTests: XCTestCase {
    private func packet(timestamp: UInt32, payload: Int, padding: UInt8 = 0) -> [UInt8] {
        var p = RtpPacket(marker: true, payloadType: 96, sequence: 7, timestamp: timestamp, ssrc: 0x1122_3344,
                          payload: Array(repeating: 0xAB, count: payload)[...]).encode()
        if padding > 0 {
            p[0] |= 0x20
            p += Array(repeating: 0, count: Int(padding) - 1) + [padding]
        }
        return p
    }

    /// RFC 3550 6.4.1 byte for byte: payload octets only (headers and padding not counted), and the RTP time of
    /// the report's instant 100 ms after the last packet, at 90 kHz, 9,000 ticks past its timestamp.
    func testSenderReportBytesCountPayloadAndExtrapolateTheRtpTime() throws {
        var c = RtpSenderReportClock(ssrc: 0x1122_3344, clock: try XCTUnwrap(RtpClock(rate: 90000)))
        XCTAssertNil(c.report(unixUs: 1_795_684_942_000_000), "nothing sent, nothing to report")
        c.sent(packet(timestamp: 1000, payload: 100)[...], unixUs: 1_795_684_942_360_000)
        c.sent(packet(timestamp: 4600, payload: 200, padding: 4)[...], unixUs: 1_795_684_942_400_000)
        c.sent([0x80, 0x60, 0x00][...], unixUs: 1_795_684_942_400_000)   // too short: not a packet
        let sr = try XCTUnwrap(c.report(unixUs: 1_795_684_942_500_000))
        XCTAssertEqual(hexString(sr.encode()), hexString([
            0x80, 0xC8, 0x00, 0x06,   // V=2, no report blocks, PT 200, 6 words after this one
            0x11, 0x22, 0x33, 0x44,   // the RTP stream's SSRC
            0xEE, 0xB2, 0x78, 0xCE,   // NTP seconds of 1,795,684,942 s after 1970
            0x80, 0x00, 0x00, 0x00,   // .5 s
            0x00, 0x00, 0x35, 0x20,   // 4600 + 9000
            0x00, 0x00, 0x00, 0x02,   // packets
            0x00, 0x00, 0x01, 0x2C,   // 300 payload octets
        ]))
        XCTAssertEqual(RtcpPacket.parseCompound(sr.encode()[...]), [.senderReport(sr)])
    }

    func testCountersAndTimestampWrapModulo32Bits() throws {
        var c = RtpSenderReportClock(ssrc: 1, clock: try XCTUnwrap(RtpClock(rate: 8000)))
        c.sent(packet(timestamp: 0xFFFF_FFF0, payload: 10)[...], unixUs: 0)
        let sr = try XCTUnwrap(c.report(unixUs: 10_000))
        XCTAssertEqual(sr.rtpTime, 0xFFFF_FFF0 &+ 80, "10 ms at 8 kHz past the wrap")
        XCTAssertEqual(try XCTUnwrap(c.report(unixUs: -5)).rtpTime, 0xFFFF_FFF0, "a clock step back does not go before the packet")
    }
}
