import MediaFormats
import RtpFormats
import XCTest

/// AV1 over RTP (AOM payload format): hand-built OBUs packed into aggregation-header payloads as byte vectors,
/// temporal delimiters dropped, `obu_has_size_field` cleared on the wire and restored on the bus, fragmentation
/// across packets at a small budget, loss and malformed elements.
final class Av1RtpTests: XCTestCase {
    static let temporalDelimiter: [UInt8] = [0x12, 0x00]
    /// A sequence header OBU (type 1, with size); its payload is opaque here.
    static let sequenceHeader: [UInt8] = [0x0A, 0x03, 0x00, 0x00, 0x05]

    /// A frame OBU (type 6) with `obu_size`, optionally with an extension byte (temporal/spatial id 0).
    static func frameObu(size: Int, fill: UInt8, extended: Bool = false) -> [UInt8] {
        var out: [UInt8] = extended ? [0x36, 0x00] : [0x32]
        var v = size
        repeat {
            out.append(UInt8(v & 0x7F) | (v >> 7 > 0 ? 0x80 : 0))
            v >>= 7
        } while v > 0
        return out + (0..<size).map { UInt8(truncatingIfNeeded: $0) ^ fill }
    }

    func packets(_ p: inout Av1RtpPacketizer, _ units: [([UInt8], UInt32)]) -> [RtpPacket] {
        var out: [RtpPacket] = []
        for (u, ts) in units { p.packetize(u[...], timestamp: ts) { if let r = RtpPacket(Array($0)[...]) { out.append(r) } } }
        return out
    }

    func testSmallTemporalUnitVector() throws {
        var p = try XCTUnwrap(Av1RtpPacketizer(payloadType: 45, ssrc: 7))
        let tu = Self.temporalDelimiter + Self.sequenceHeader + [0x32, 0x04, 0xF1, 0xF2, 0xF3, 0xF4]
        let sent = packets(&p, [(tu, 90)])
        XCTAssertEqual(sent.count, 1)
        // Z 0, Y 0, W 2, N 1; the sequence header with its length, the frame without (the last of W); the
        // temporal delimiter left out and obu_has_size_field cleared.
        XCTAssertEqual(Array(sent[0].payload), [0x28, 0x04, 0x08, 0x00, 0x00, 0x05, 0x30, 0xF1, 0xF2, 0xF3, 0xF4])
        XCTAssertTrue(sent[0].marker)
        var d = Av1RtpDepacketizer()
        XCTAssertEqual(d.push(sent[0]), [RtpAccessUnit(timestamp: 90, key: true, data: Self.sequenceHeader + [0x32, 0x04, 0xF1, 0xF2, 0xF3, 0xF4])])
        // A temporal unit of nothing but a delimiter sends nothing.
        XCTAssertTrue(packets(&p, [(Self.temporalDelimiter, 180)]).isEmpty)
    }

    func testReceivedVectorsWithSizesAndManyElements() throws {
        // W 0: every element has a length; the sender left obu_has_size_field set on the second (allowed), and a
        // temporal delimiter element is dropped.
        let payload: [UInt8] = [0x00, 0x02, 0x10, 0x00, 0x04, 0x32, 0x02, 0xAA, 0xBB, 0x03, 0x30, 0xCC, 0xDD]
        var d = Av1RtpDepacketizer()
        let units = d.push(RtpPacket(marker: true, payloadType: 45, sequence: 1, timestamp: 5, ssrc: 1, payload: payload[...]))
        XCTAssertEqual(units, [RtpAccessUnit(timestamp: 5, key: false, data: [0x32, 0x02, 0xAA, 0xBB, 0x32, 0x02, 0xCC, 0xDD])])
        // A length past the payload, W naming more elements than there are, an OBU with the forbidden bit.
        let malformed: [[UInt8]] = [[0x00, 0x05, 0x30, 0x01], [0x20, 0x01, 0x30], [0x10, 0xB0, 0x01], [0x00]]
        for (i, bad) in malformed.enumerated() {
            let packet = RtpPacket(marker: true, payloadType: 45, sequence: UInt16(2 + i), timestamp: UInt32(10 * (i + 1)), ssrc: 1, payload: bad[...])
            XCTAssertEqual(d.push(packet), [], "\(bad)")
        }
        XCTAssertEqual(d.malformedPackets, 4)
    }

    func testFragmentedRoundTripAtSmallBudget() throws {
        var p = try XCTUnwrap(Av1RtpPacketizer(payloadType: 45, ssrc: 7, maxPayload: 100, firstSequence: 65534))
        let key = Self.temporalDelimiter + Self.sequenceHeader + Self.frameObu(size: 2500, fill: 0x11)
        let inter = Self.frameObu(size: 90, fill: 0x22, extended: true) + Self.frameObu(size: 300, fill: 0x33)
        // The last OBU of a temporal unit may omit its size (AV1 spec 5.3.1); the bus gets it with one.
        let unsized: [UInt8] = [0x30, 0x01, 0x02, 0x03]
        let sent = packets(&p, [(key, 0), (inter, 3000), (unsized, 6000)])
        XCTAssertTrue(sent.allSatisfy { $0.payload.count <= 100 })
        XCTAssertEqual(sent.filter(\.marker).count, 3)
        XCTAssertEqual(sent[0].payload.first.map { $0 & 0xC8 }, 0x48, "first packet: N and Y (the frame goes on), not Z")
        XCTAssertEqual(sent[1].payload.first.map { $0 & 0xC8 }, 0xC0, "middle: Z and Y")
        XCTAssertEqual(sent.map(\.sequence).prefix(3), [65534, 65535, 0])

        var d = Av1RtpDepacketizer()
        let units = sent.flatMap { d.push($0) }
        XCTAssertEqual(units, [RtpAccessUnit(timestamp: 0, key: true, data: Array(key.dropFirst(2))),
                               RtpAccessUnit(timestamp: 3000, key: false, data: inter),
                               RtpAccessUnit(timestamp: 6000, key: false, data: [0x32, 0x03, 0x01, 0x02, 0x03])])
        XCTAssertEqual(d.droppedFrames, 0)

        // A loss inside the key unit drops it and its remaining packets; the next unit comes through.
        var lossy = Av1RtpDepacketizer()
        var out: [RtpAccessUnit] = []
        for (i, packet) in sent.enumerated() {
            if i == 5 { lossy.lost(); continue }
            out += lossy.push(packet)
        }
        XCTAssertEqual(out.map(\.timestamp), [3000, 6000])
        XCTAssertEqual(lossy.droppedFrames, 1)
        XCTAssertEqual(lossy.malformedPackets, 0)

        // Joining the stream in the middle of a fragmented OBU: skipped up to the next unit.
        var late = Av1RtpDepacketizer()
        let inter0 = try XCTUnwrap(sent.firstIndex { $0.timestamp == 3000 })
        XCTAssertEqual(sent[2..<inter0].flatMap { late.push($0) }, [])
        XCTAssertEqual(sent[inter0...].flatMap { late.push($0) }.map(\.timestamp), [3000, 6000])
    }

    func testFactoriesAndBudget() {
        XCTAssertNotNil(RtpPacketizers.make(codec: .av1, payloadType: 45, ssrc: 1, clockRate: 90_000, channels: 1))
        XCTAssertNotNil(RtpDepacketizers.make(codec: .av1, clockRate: 90_000, channels: 1))
        XCTAssertNil(Av1RtpPacketizer(payloadType: 45, ssrc: 1, maxPayload: 2))
    }
}
