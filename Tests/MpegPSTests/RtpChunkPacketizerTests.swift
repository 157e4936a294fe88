import RtpFormats
import XCTest

/// PS over RTP as GB28181 receivers reassemble it: payloads of at most 1,400 bytes, one timestamp per
/// frame, the marker on its last packet only, sequence numbers running on across frames and wrapping.
final class RtpChunkPacketizerTests: XCTestCase {
    func testOneFrameSplitWithOneTimestampAndTheMarkerLast() throws {
        var p = RtpChunkPacketizer(payloadType: 96, ssrc: 0x0102_0304, firstSequence: 0xFFFE)
        let frame = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        let packets = p.packetize(frame[...], timestamp: 90_000)
        XCTAssertEqual(packets.count, 3)
        let parsed = try packets.map { try XCTUnwrap(RtpPacket($0[...])) }
        XCTAssertEqual(parsed.map(\.payload.count), [1400, 1400, 200])
        XCTAssertEqual(parsed.map(\.marker), [false, false, true])
        XCTAssertEqual(parsed.map(\.sequence), [0xFFFE, 0xFFFF, 0], "wraps at 16 bits")
        XCTAssertEqual(Set(parsed.map(\.timestamp)), [90_000])
        XCTAssertEqual(Set(parsed.map(\.payloadType)), [96])
        XCTAssertEqual(Set(parsed.map(\.ssrc)), [0x0102_0304])
        XCTAssertEqual(parsed.flatMap(\.payload), frame)
        // The next frame continues the numbering.
        let next = p.packetize([1, 2, 3], timestamp: 93_600)
        XCTAssertEqual(RtpPacket(next[0][...])?.sequence, 1)
        XCTAssertEqual(RtpPacket(next[0][...])?.marker, true, "a one-packet frame is its own last packet")
        XCTAssertTrue(p.packetize([], timestamp: 0).isEmpty)
    }

    /// RFC 4571 2: a 16-bit big-endian length, then the packet.
    func testRfc4571Framing() {
        let packet = [UInt8](repeating: 7, count: 300)
        let framed = RtpChunkPacketizer.rfc4571(packet)
        XCTAssertEqual(Array(framed.prefix(2)), [0x01, 0x2C])
        XCTAssertEqual(Array(framed.dropFirst(2)), packet)
        // The receive side's framer reads back exactly the packets written.
        var p = RtpChunkPacketizer(payloadType: 96, ssrc: 5)
        let packets = p.packetize([UInt8](repeating: 9, count: 2000)[...], timestamp: 1)
        var framer = RtpTcpFramer()
        let back = framer.push(packets.flatMap(RtpChunkPacketizer.rfc4571)[...])
        XCTAssertEqual(back.map(Array.init), packets)
    }
}
