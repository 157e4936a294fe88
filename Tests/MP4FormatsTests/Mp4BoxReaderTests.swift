import XCTest
import TestSupport
@testable import MP4Formats

final class Mp4BoxReaderTests: XCTestCase {
    private let h = Mp4Vectors.hex

    /// An init segment and two fragments: every box kind the writer makes.
    private func stream() -> [UInt8] {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcHigh), Mp4Track(codec: .opus, config: Mp4Vectors.opusHead51)])
        var bytes = m.initSegment()
        _ = m.mux(track: 0, pts: 0, dts: 0, key: true, data: [0, 0, 0, 1, 0x65][...])
        _ = m.mux(track: 1, pts: 0, dts: 0, key: false, data: [0xFC, 1, 2][...])
        for f in m.flush() { bytes += f.bytes }
        return bytes
    }

    func testListsTopLevelBoxes() throws {
        var r = Mp4BoxReader(h("00000008 66726565  0000000c 6d646174 01020304"))
        XCTAssertEqual(try r.next(), Mp4BoxHeader(type: "free", start: 0, headerSize: 8, size: 8))
        let mdat = try XCTUnwrap(try r.next())
        XCTAssertEqual(mdat.payload, 16..<20)
        XCTAssertNil(try r.next())
        XCTAssertNil(try r.next())
    }

    func testLargeSizeSizeZeroAndUuid() throws {
        let large = h("00000001 6d646174 0000000000000012 aabb")
        XCTAssertEqual(try Mp4BoxReader(large).all(), [Mp4BoxHeader(type: "mdat", start: 0, headerSize: 16, size: 18)])
        let toEnd = h("00000008 66726565  00000000 6d646174 010203")
        XCTAssertEqual(try Mp4BoxReader(toEnd).all().last, Mp4BoxHeader(type: "mdat", start: 8, headerSize: 8, size: 11))
        let uuid = h("00000019 75756964") + [UInt8](repeating: 0xAB, count: 16) + [7]
        XCTAssertEqual(try Mp4BoxReader(uuid).all().first?.payload, 24..<25)
    }

    func testIndicesFollowTheSlice() throws {
        let bytes = h("ffff 00000009 66726565 00")
        let boxes = try Mp4BoxReader.tree(bytes[2...])
        XCTAssertEqual(boxes.first?.header.start, 2)
        XCTAssertEqual(boxes.first.map { Array(bytes[$0.header.payload]) }, [0])
    }

    func testAbsurdSizesAreRefused() {
        func error(_ b: [UInt8]) -> Mp4BoxError? {
            do { _ = try Mp4BoxReader.tree(b); return nil } catch { return error }
        }
        XCTAssertEqual(error(h("ffffffff 6d646174 00")), .truncated(at: 0), "4 GiB claimed, 9 bytes there")
        XCTAssertEqual(error(h("00000001 6d646174 4000000000000000")), .truncated(at: 0))
        XCTAssertEqual(error(h("00000001 6d646174 ffffffffffffffff")), .badSize(at: 0), "beyond Int")
        XCTAssertEqual(error(h("00000001 6d646174 0000000000000008")), .badSize(at: 0), "smaller than its 16-byte header")
        XCTAssertEqual(error(h("00000007 66726565")), .badSize(at: 0))
        XCTAssertEqual(error(h("00000010 75756964 0000000000000000")), .badSize(at: 0), "uuid needs 24 bytes")
        XCTAssertEqual(error(h("00000000 75756964 00")), .truncated(at: 0))
        XCTAssertEqual(error(h("00000010 6d6f6f76 00000010 74726166")), .truncated(at: 8), "a child larger than its parent")
        XCTAssertEqual(error(h("0000000c 73747364 0000")), .truncated(at: 0), "stsd shorter than its entry count")
    }

    func testDeepNestingIsBounded() {
        var bytes: [UInt8] = []
        for _ in 0..<10_000 { bytes = Mp4Box.box("moov", bytes) }
        XCTAssertThrowsError(try Mp4BoxReader.tree(bytes)) { XCTAssertEqual($0 as? Mp4BoxError, .tooDeep(at: 16 * 8)) }
        XCTAssertEqual(try Mp4BoxReader.tree(Array(bytes.suffix(8 * 5))).first?.outline.split(separator: "\n").count, 5)
    }

    func testTruncationAtEveryLength() throws {
        let bytes = stream()
        let full = try Mp4BoxReader.tree(bytes)
        XCTAssertEqual(full.map(\.type), ["ftyp", "moov", "moof", "mdat", "moof", "mdat"])
        let boundaries = Set(full.map(\.header.end))
        for n in 0..<bytes.count {
            do {
                let boxes = try Mp4BoxReader.tree(bytes[..<n])
                XCTAssertTrue(n == 0 || boundaries.contains(n), "accepted a cut inside a box at \(n)")
                XCTAssertEqual(boxes, Array(full.prefix(boxes.count)))
            } catch {
                XCTAssertFalse(boundaries.contains(n), "refused \(n) bytes: \(error)")
                if case .truncated = error {} else { XCTFail("\(n): \(error)") }
            }
        }
    }

    func testSeededGarbageAndMutationsDoNotCrash() {
        var rng = SplitMix64(seed: 0xB0C5_F422)
        let valid = stream()
        var accepted = 0
        for i in 0..<4000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if bytes.count >= 8, i % 4 == 0 {   // plausible headers make the walker go deeper
                    bytes.replaceSubrange(4..<8, with: Array(["moov", "trak", "stsd", "mp4a", "avc1", "uuid"][Int(rng.next() % 6)].utf8))
                }
            } else {
                bytes = valid
                for _ in 0..<(1 + Int(rng.next() % 8)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            var reader = Mp4BoxReader(bytes)
            while let box = try? reader.next() {
                XCTAssertLessThanOrEqual(box.end, bytes.count)
                XCTAssertGreaterThanOrEqual(box.size, box.headerSize)
            }
            if (try? Mp4BoxReader.tree(bytes, maxDepth: Int(rng.next() % 20))) != nil { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 0)
    }
}
