import HlsFormats
import MediaFormats
import XCTest

/// LL-HLS partial segments cut from a segment's fMP4 fragments.
final class HlsPartCutterTests: XCTestCase {
    static let avcC: [UInt8] = [
        0x01, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0x00, 0x18, 0x67, 0x42, 0xC0, 0x0D, 0xD9, 0x01, 0x41, 0xFB, 0x01, 0x10, 0x00, 0x00,
        0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xF1, 0x42, 0xA4, 0x80, 0x01, 0x00, 0x05, 0x68, 0xCB, 0x83, 0xCB, 0x20,
    ]
    static let idr: [UInt8] = [0, 0, 0, 3, 0x65, 0x88, 0x84]
    static let inter: [UInt8] = [0, 0, 0, 3, 0x41, 0x9A, 0x02]

    /// Video frames every 100 ms from 0 (a keyframe first), parts of at most 500 ms, the segment ended at 1.2 s.
    private func cutTwelveFrames() throws -> [HlsPartCutter.Part] {
        var cutter = try XCTUnwrap(HlsPartCutter(tracks: [MediaTrack(codec: .h264, config: Self.avcC)], partMs: 500))
        cutter.begin(at: 0)
        var parts: [HlsPartCutter.Part] = []
        for i in 0..<12 {
            let dts = Int64(i) * 100_000
            parts += cutter.mux(track: 0, pts: dts, dts: dts, key: i == 0, data: (i == 0 ? Self.idr : Self.inter)[...])
        }
        parts += cutter.finish(endDts: 1_200_000)
        return parts
    }

    func testPartsCloseBeforeTheFragmentThatWouldPassTheTarget() throws {
        let parts = try cutTwelveFrames()
        XCTAssertEqual(parts.map(\.durationUs), [500_000, 500_000, 200_000])
        XCTAssertEqual(parts.map(\.durationUs).reduce(0, +), 1_200_000, "the parts make up the whole segment")
    }

    func testOnlyThePartWithTheKeyframeIsIndependent() throws {
        XCTAssertEqual(try cutTwelveFrames().map(\.independent), [true, false, false])
    }

    func testEveryPartIsWholeFragments() throws {
        for part in try cutTwelveFrames() {
            var at = 0
            var boxes: [String] = []
            while at + 8 <= part.bytes.count {
                let size = Int(part.bytes[at]) << 24 | Int(part.bytes[at + 1]) << 16 | Int(part.bytes[at + 2]) << 8 | Int(part.bytes[at + 3])
                boxes.append(String(decoding: part.bytes[(at + 4)..<(at + 8)], as: UTF8.self))
                guard size >= 8 else { break }
                at += size
            }
            XCTAssertEqual(at, part.bytes.count, "boxes end where the part does")
            XCTAssertEqual(boxes.first, "moof")
            XCTAssertEqual(boxes.count % 2, 0, "moof+mdat pairs")
        }
    }

    func testAudioOnlyPartsAreAllIndependent() throws {
        var cutter = try XCTUnwrap(HlsPartCutter(tracks: [MediaTrack(codec: .aac, config: [0x12, 0x10], sampleRate: 44_100, channels: 2)],
                                                 partMs: 100))
        cutter.begin(at: 0)
        var parts: [HlsPartCutter.Part] = []
        for i in 0..<20 { parts += cutter.mux(track: 0, pts: Int64(i) * 23_220, dts: Int64(i) * 23_220, key: false, data: [0x21, 0x10][...]) }
        parts += cutter.finish(endDts: 20 * 23_220)
        XCTAssertGreaterThan(parts.count, 1)
        XCTAssertTrue(parts.allSatisfy(\.independent))
        XCTAssertTrue(parts.allSatisfy { $0.durationUs <= 100_000 })
    }

    func testNoCarriableTrackGivesNoCutter() {
        XCTAssertNil(HlsPartCutter(tracks: [nil], partMs: 500))
    }

    func testFrameOfAnUnknownTrackIsIgnored() throws {
        var cutter = try XCTUnwrap(HlsPartCutter(tracks: [MediaTrack(codec: .h264, config: Self.avcC)], partMs: 500))
        cutter.begin(at: 0)
        XCTAssertEqual(cutter.mux(track: 3, pts: 0, dts: 0, key: true, data: Self.idr[...]), [])
        XCTAssertEqual(cutter.finish(endDts: 100_000), [], "nothing was muxed")
    }
}
