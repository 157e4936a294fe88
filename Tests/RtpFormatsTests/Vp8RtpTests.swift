import MediaFormats
import RtpFormats
import XCTest

/// VP8 over RTP (RFC 7741): payload descriptors as byte vectors, the packetizer's cut and descriptors, and the
/// depacketizer's frame boundaries, losses and refusals.
final class Vp8RtpTests: XCTestCase {
    /// A key frame's first bytes (RFC 6386 9.1): frame tag with P=0, start code, 320x240; then filler.
    static func keyFrame(size: Int) -> [UInt8] {
        [0x50, 0x2D, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00] + (0..<(size - 10)).map { UInt8(truncatingIfNeeded: $0 * 7) }
    }

    static func interFrame(size: Int) -> [UInt8] { [0x31, 0x02, 0x00] + [UInt8](repeating: 0xAB, count: size - 3) }

    func testDescriptorVectors() throws {
        // Only the mandatory byte: S set, partition 0.
        let plain = try XCTUnwrap(Vp8PayloadDescriptor([0x10, 0xAA][...]))
        XCTAssertEqual([plain.start, plain.nonReference], [true, false])
        XCTAssertEqual(plain.partition, 0)
        XCTAssertNil(plain.pictureId)
        XCTAssertEqual(plain.size, 1)
        // X, I with M: a 15-bit PictureID 0x1234, as libwebrtc sends.
        let long = try XCTUnwrap(Vp8PayloadDescriptor([0x90, 0x80, 0x92, 0x34, 0xAA][...]))
        XCTAssertEqual(long.pictureId, 0x1234)
        XCTAssertEqual(long.size, 4)
        // X with I (7-bit PictureID 5), L (TL0PICIDX 7), T (TID 2); N set, partition 3, S clear.
        let layered = try XCTUnwrap(Vp8PayloadDescriptor([0xA3, 0xE0, 0x05, 0x07, 0x80, 0xAA][...]))
        XCTAssertEqual([layered.start, layered.nonReference], [false, true])
        XCTAssertEqual(layered.partition, 3)
        XCTAssertEqual(layered.pictureId, 5)
        XCTAssertEqual(layered.tl0PicIdx, 7)
        XCTAssertEqual(layered.temporalLayer, 2)
        XCTAssertNil(layered.keyIndex)
        XCTAssertEqual(layered.size, 5)
        // K alone (KEYIDX 9) shares the T/K byte.
        XCTAssertEqual(Vp8PayloadDescriptor([0x90, 0x10, 0x09, 0xAA][...])?.keyIndex, 9)
        // Ends inside the descriptor, or leaves no VP8 byte after it.
        for bad: [UInt8] in [[], [0x10], [0x90], [0x90, 0x80], [0x90, 0x80, 0x92], [0x90, 0x80, 0x92, 0x34], [0x90, 0x40], [0x90, 0x20]] {
            XCTAssertNil(Vp8PayloadDescriptor(bad[...]), "\(bad)")
        }
        var written: [UInt8] = []
        Vp8PayloadDescriptor(start: true, pictureId: 0x8123).append(to: &written)
        XCTAssertEqual(written, [0x90, 0x80, 0x81, 0x23], "the PictureID keeps 15 bits")
        written = []
        Vp8PayloadDescriptor(start: false).append(to: &written)
        XCTAssertEqual(written, [0x00])
    }

    func testFrameHeader() throws {
        let key = try XCTUnwrap(Vp8FrameHeader(Self.keyFrame(size: 20)[...]))
        XCTAssertEqual([key.width, key.height], [320, 240])
        XCTAssertTrue(key.key)
        XCTAssertEqual(Vp8FrameHeader(Self.interFrame(size: 8)[...])?.key, false)
        // A key frame without the start code, and a tag cut short.
        XCTAssertNil(Vp8FrameHeader([0x50, 0x2D, 0x00, 0x9D, 0x01, 0x2B, 0x40, 0x01, 0xF0, 0x00][...]))
        XCTAssertNil(Vp8FrameHeader([0x50, 0x2D, 0x00, 0x9D][...]))
        XCTAssertNil(Vp8FrameHeader([0x31, 0x02][...]))
    }

    func testPacketizerCutsFramesBehindDescriptorsAndRoundTrips() throws {
        var p = try XCTUnwrap(Vp8RtpPacketizer(payloadType: 96, ssrc: 7, maxPayload: 1200, firstSequence: 65535, firstPictureId: 0x7FFF))
        let key = Self.keyFrame(size: 3000), inter = Self.interFrame(size: 500)
        var packets: [[UInt8]] = []
        p.packetize(key[...], timestamp: 9000) { packets.append(Array($0)) }
        p.packetize(inter[...], timestamp: 12600) { packets.append(Array($0)) }
        XCTAssertEqual(packets.map(\.count), [1212, 1212, 12 + 4 + 3000 - 2 * 1196, 12 + 4 + 500])
        XCTAssertEqual(packets.map { $0[1] & 0x80 != 0 }, [false, false, true, true], "marker on each frame's last packet")
        XCTAssertEqual(packets.map { UInt16($0[2]) << 8 | UInt16($0[3]) }, [65535, 0, 1, 2])
        XCTAssertEqual(Array(packets[0][12..<16]), [0x90, 0x80, 0xFF, 0xFF])
        XCTAssertEqual(Array(packets[1][12..<16]), [0x80, 0x80, 0xFF, 0xFF])
        XCTAssertEqual(Array(packets[3][12..<16]), [0x90, 0x80, 0x80, 0x00], "the PictureID wraps at 15 bits")

        var d: any RtpDepacketizer = try XCTUnwrap(RtpDepacketizers.make(codec: .vp8, clockRate: 90_000, channels: 1))
        let units = packets.flatMap { RtpPacket($0[...]).map { d.push($0) } ?? [] }
        XCTAssertEqual(units, [RtpAccessUnit(timestamp: 9000, key: true, data: key), RtpAccessUnit(timestamp: 12600, key: false, data: inter)])
        XCTAssertNil(Vp8RtpPacketizer(payloadType: 96, ssrc: 7, maxPayload: 4))
    }

    func testLossDropsTheFrameUntilTheNextStart() throws {
        var p = try XCTUnwrap(Vp8RtpPacketizer(payloadType: 96, ssrc: 7, maxPayload: 1000))
        var packets: [RtpPacket] = []
        for (i, f) in [Self.keyFrame(size: 2500), Self.interFrame(size: 1800), Self.interFrame(size: 300)].enumerated() {
            p.packetize(f[...], timestamp: UInt32(i) * 3000) { if let r = RtpPacket(Array($0)[...]) { packets.append(r) } }
        }
        XCTAssertEqual(packets.count, 3 + 2 + 1)
        var d = Vp8RtpDepacketizer()
        // The key frame's middle packet is lost: its end and the packets after it until the next frame start give nothing.
        XCTAssertEqual(d.push(packets[0]), [])
        d.lost()
        XCTAssertEqual(d.push(packets[2]), [])
        XCTAssertEqual(d.push(packets[3]), [])
        XCTAssertEqual(d.push(packets[4]).map(\.timestamp), [3000])
        XCTAssertEqual(d.push(packets[5]).map(\.key), [false])
        XCTAssertEqual(d.droppedFrames, 1)
        // A payload that is all descriptor is refused and drops what was being built.
        XCTAssertEqual(d.push(packets[3]), [])
        XCTAssertEqual(d.push(RtpPacket(marker: true, payloadType: 96, sequence: 9, timestamp: 3000, ssrc: 7, payload: [0x90, 0x80][...])), [])
        XCTAssertEqual(d.malformedPackets, 1)
        XCTAssertEqual(d.droppedFrames, 2)
    }

    func testAFrameWithoutItsMarkerEndsWhereTheNextStarts() throws {
        var d = Vp8RtpDepacketizer()
        let key = Self.keyFrame(size: 40), inter = Self.interFrame(size: 10)
        XCTAssertEqual(d.push(RtpPacket(marker: false, payloadType: 96, sequence: 1, timestamp: 100, ssrc: 7, payload: ([0x10] + key)[...])), [])
        let out = d.push(RtpPacket(marker: true, payloadType: 96, sequence: 2, timestamp: 200, ssrc: 7, payload: ([0x10] + inter)[...]))
        XCTAssertEqual(out.map(\.data), [key, inter])
        XCTAssertEqual(out.map(\.key), [true, false])
    }
}
