import MediaFormats
import RtpFormats
import XCTest

/// VP9 over RTP (RFC 9628): payload descriptors as byte vectors (flexible and non-flexible, with a
/// scalability structure), key frames from the frame header, the packetizer's cut and the round trip.
final class Vp9RtpTests: XCTestCase {
    /// frame_marker 2, profile 0, show_existing 0, frame_type 0 (key) / 1 (inter), then filler.
    static func frame(key: Bool, size: Int) -> [UInt8] { [key ? 0x82 : 0x86] + [UInt8](repeating: 0x5A, count: size - 1) }

    func testFrameHeader() {
        XCTAssertEqual(Vp9FrameHeader.isKeyFrame([0x82, 0x49][...]), true)
        XCTAssertEqual(Vp9FrameHeader.isKeyFrame([0x86][...]), false)
        // show_existing_frame set: a repeated picture.
        XCTAssertEqual(Vp9FrameHeader.isKeyFrame([0x88][...]), false)
        // Profile 3 has a reserved bit before show_existing_frame: 0b10_11_0_0_0_0 is a key frame, 0b10_11_0_0_1_0 not.
        XCTAssertEqual(Vp9FrameHeader.isKeyFrame([0xB0][...]), true)
        XCTAssertEqual(Vp9FrameHeader.isKeyFrame([0xB2][...]), false)
        XCTAssertNil(Vp9FrameHeader.isKeyFrame([0x42][...]))
        XCTAssertNil(Vp9FrameHeader.isKeyFrame([][...]))
    }

    func testDescriptorVectors() throws {
        // Flexible, predicted, B: 15-bit PictureID 0x0102, P_DIFF bytes 3 (N) and 1, then data.
        let flexible = try XCTUnwrap(Vp9PayloadDescriptor([0xD8, 0x81, 0x02, 0x07, 0x02, 0xAA][...]))
        XCTAssertEqual([flexible.interPicturePredicted, flexible.beginsFrame, flexible.endsFrame, flexible.flexible], [true, true, false, true])
        XCTAssertEqual(flexible.pictureId, 0x0102)
        XCTAssertEqual(flexible.size, 5)
        // Non-flexible with layer indices (SID 1, TL0PICIDX), 7-bit PictureID, B and E.
        let layered = try XCTUnwrap(Vp9PayloadDescriptor([0xAC, 0x05, 0x02, 0x09, 0xAA][...]))
        XCTAssertEqual(layered.spatialId, 1)
        XCTAssertEqual(layered.pictureId, 5)
        XCTAssertEqual(layered.size, 4)
        // A key frame with a scalability structure: one layer with its size (Y), a group of one picture with one reference.
        let ss = try XCTUnwrap(Vp9PayloadDescriptor([0x8A, 0x80, 0x01, 0x18, 0x01, 0x40, 0x00, 0xF0, 0x01, 0x04, 0x01, 0xAA][...]))
        XCTAssertFalse(ss.interPicturePredicted)
        XCTAssertEqual(ss.size, 11)
        for bad: [UInt8] in [[], [0x08], [0x88], [0x88, 0x80, 0x01], [0xD8, 0x81, 0x02, 0x03], [0x0A, 0x18, 0x01], [0x28]] {
            XCTAssertNil(Vp9PayloadDescriptor(bad[...]), "\(bad)")
        }
    }

    func testPacketizerRoundTripAndLoss() throws {
        var p = try XCTUnwrap(Vp9RtpPacketizer(payloadType: 98, ssrc: 3, maxPayload: 1000, firstPictureId: 0x7FFF))
        let key = Self.frame(key: true, size: 2500), inter = Self.frame(key: false, size: 900)
        var packets: [RtpPacket] = []
        for (f, ts) in [(key, UInt32(0)), (inter, 3000), (inter, 6000)] {
            p.packetize(f[...], timestamp: ts) { if let r = RtpPacket(Array($0)[...]) { packets.append(r) } }
        }
        XCTAssertEqual(packets.count, 3 + 1 + 1)
        XCTAssertEqual(Array(packets[0].payload.prefix(3)), [0x98, 0xFF, 0xFF], "key frame: I, F, B; not predicted")
        XCTAssertEqual(Array(packets[2].payload.prefix(3)), [0x94, 0xFF, 0xFF], "its last packet has E")
        XCTAssertEqual(Array(packets[3].payload.prefix(4)), [0xDC, 0x80, 0x00, 0x02], "inter frame: P with P_DIFF 1; the PictureID wrapped")
        XCTAssertEqual(packets.map(\.marker), [false, false, true, true, true])

        var d = Vp9RtpDepacketizer()
        let units = packets.flatMap { d.push($0) }
        XCTAssertEqual(units, [RtpAccessUnit(timestamp: 0, key: true, data: key), RtpAccessUnit(timestamp: 3000, key: false, data: inter),
                               RtpAccessUnit(timestamp: 6000, key: false, data: inter)])
        // A loss inside the key frame: nothing until the next B.
        var lossy = Vp9RtpDepacketizer()
        XCTAssertEqual(lossy.push(packets[0]), [])
        lossy.lost()
        XCTAssertEqual(lossy.push(packets[2]), [])
        XCTAssertEqual(lossy.push(packets[3]).map(\.timestamp), [3000])
        XCTAssertEqual(lossy.droppedFrames, 1)
        // A frame whose header is not VP9 is not sent.
        var count = 0
        p.packetize([0x00, 0x01][...], timestamp: 9) { _ in count += 1 }
        XCTAssertEqual(count, 0)
    }
}
