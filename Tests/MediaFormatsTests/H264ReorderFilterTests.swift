import XCTest
@testable import MediaFormats

/// The B-frame filter on what x264 `-bf 3` sends (ffmpeg 5.1, libx264, 320x240 at 25 fps, b-pyramid): the SPS of
/// its Main (`-preset ultrafast`) and High (`-preset veryfast`) profiles, both with max_num_reorder_frames 2, and
/// the slices of one mini-GOP in decode order.
final class H264ReorderFilterTests: XCTestCase {
    static let mainSps = Vectors.hex("674d400deca0a0fd80880000030008000003019078a14cb0")
    static let highSps = Vectors.hex("6764000dacd94141fb011000000300100000030320f1429960")
    static let pps = Vectors.hex("68ce0fc8")
    /// A reference B picture (nal_ref_idc 2) and a non-reference one (0), whole.
    static let referenceB = Vectors.hex("419e4241201c040510539208f7bbf57b40a3736f7a051b9b5a943afe91829c8c14ee2b7bdef40a3681465af445d570ec")
    static let nonReferenceB = Vectors.hex("019e6141100e8975a841846bd06b")
    /// Presentation times (ms) of x264's first 12 pictures in decode order: I, then P, B-ref, b, b per group.
    static let pts: [Int64] = [80, 240, 160, 120, 200, 400, 320, 280, 360, 560, 480, 440]

    func testOnlyThePicturesInPresentationOrderPass() {
        var f = H264ReorderFilter()
        let passed = Self.pts.enumerated().filter { f.admit(pts: $0.element, key: $0.offset == 0) }.map(\.element)
        XCTAssertEqual(passed, [80, 240, 400, 560], "the I and P pictures")
        XCTAssertEqual(f.dropped, 8)
    }

    func testAStreamWithoutReorderingIsUntouchedAndAKeyframeRestarts() {
        var f = H264ReorderFilter()
        XCTAssertTrue((0..<50).allSatisfy { f.admit(pts: Int64($0) * 40, key: $0 % 25 == 0) })
        XCTAssertTrue(f.admit(pts: 2_000, key: false), "a repeated timestamp is not a reordering")
        XCTAssertTrue(f.admit(pts: 2_000, key: false))
        XCTAssertFalse(f.admit(pts: 1_960, key: false))
        // A source that restarts its clock: the keyframe is taken and the count starts from it.
        XCTAssertTrue(f.admit(pts: 0, key: true))
        XCTAssertTrue(f.admit(pts: 160, key: false))
        XCTAssertFalse(f.admit(pts: 80, key: false))
        XCTAssertEqual(f.dropped, 2)
    }

    func testNothingPassesBeforeTheFirstKeyframe() {
        var f = H264ReorderFilter()
        XCTAssertFalse(f.admit(pts: 40, key: false))
        XCTAssertTrue(f.admit(pts: 80, key: true))
    }

    func testTheSpsRewriteSetsNoReorderingAndKeepsEverythingElse() throws {
        for (name, sps) in [("main", Self.mainSps), ("high", Self.highSps)] {
            let original = try XCTUnwrap(H264SPS(nal: sps[...]), name)
            let before = try XCTUnwrap(H264SpsReorderRewrite.reorderField(removeEmulationPrevention(sps.dropFirst()), vuiBitOffset: original.vuiBitOffset))
            XCTAssertEqual(before.value, 2, name)
            let out = try XCTUnwrap(H264SpsReorderRewrite.withoutReordering(sps[...]), name)
            let rewritten = try XCTUnwrap(H264SPS(nal: out[...]), name)
            XCTAssertEqual(rewritten, original, name)
            let rbsp = removeEmulationPrevention(out.dropFirst())
            let after = try XCTUnwrap(H264SpsReorderRewrite.reorderField(rbsp, vuiBitOffset: rewritten.vuiBitOffset), name)
            XCTAssertEqual(after.value, 0, name)
            // ue(2) is 3 bits, ue(0) one: everything after the field is the same bits, two earlier.
            var a = BitReader(removeEmulationPrevention(sps.dropFirst())), b = BitReader(rbsp)
            XCTAssertTrue(a.skip(before.end))
            XCTAssertTrue(b.skip(after.end))
            let (bufferingBefore, bufferingAfter) = (a.ue(), b.ue())
            XCTAssertEqual(bufferingBefore, 4, "\(name): max_dec_frame_buffering")
            XCTAssertEqual(bufferingAfter, 4, name)
            // Emulation prevention is back where the bytes need it.
            XCTAssertEqual(addEmulationPrevention(rbsp[...]), Array(out.dropFirst()), name)
            XCTAssertNil(H264SpsReorderRewrite.withoutReordering(out[...]), "\(name): already without reordering")
        }
        // Checked with `ffmpeg -bsf:v trace_headers`: max_num_reorder_frames 0, max_dec_frame_buffering 4, the rest as before.
        XCTAssertEqual(H264SpsReorderRewrite.withoutReordering(Self.mainSps[...]), Vectors.hex(Self.mainSpsRewritten))
    }

    static let mainSpsRewritten = "674d400deca0a0fd80880000030008000003019078a152c0"

    func testSpsWithoutRestrictionOrGarbageIsLeftAlone() {
        XCTAssertNil(H264SpsReorderRewrite.withoutReordering(Vectors.sps[...]), "baseline from x264 without B-frames: 0 already")
        XCTAssertNil(H264SpsReorderRewrite.withoutReordering(Self.pps[...]))
        for n in 0..<Self.mainSps.count {
            _ = H264SpsReorderRewrite.withoutReordering(Self.mainSps.prefix(n))
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = Self.highSps
            bytes[Int.random(in: 1..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            if let out = H264SpsReorderRewrite.withoutReordering(bytes[...]) { XCTAssertNotNil(H264SPS(nal: out[...])) }
        }
    }

    func testAccessUnitRewritesOnlyTheSps() {
        let au = NalUnits.lengthPrefixed([Self.mainSps[...], Self.pps[...], Self.referenceB[...]])
        let out = H264ReorderFilter.accessUnit(au[...])
        XCTAssertEqual(NalUnits.splitLengthPrefixed(out[...])?.map(Array.init),
                       [Vectors.hex(Self.mainSpsRewritten), Self.pps, Self.referenceB])
        let slices = NalUnits.lengthPrefixed([Self.referenceB[...], Self.nonReferenceB[...]])
        XCTAssertEqual(H264ReorderFilter.accessUnit(slices[...]), slices)
        let truncated = Array(au.dropLast())
        XCTAssertEqual(H264ReorderFilter.accessUnit(truncated[...]), truncated, "a malformed unit goes as it came")
    }

    func testBitWriterRoundTrips() {
        var w = BitWriter()
        let values: [UInt32] = [0, 1, 2, 3, 7, 8, 255, 65_535, 1 << 20]
        for v in values { w.ue(v) }
        w.bits(0b101, 3)
        w.trailingBits()
        var r = BitReader(w.bytes)
        XCTAssertEqual(values.map { _ in r.ue() }, values.map(Optional.some))
        XCTAssertEqual(r.bits(3), 0b101)
        XCTAssertEqual(r.bit(), 1, "stop bit")
        XCTAssertEqual(r.position % 8 == 0 ? 0 : r.bits(8 - r.position % 8), 0)
        let raw: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 9]
        XCTAssertEqual(addEmulationPrevention(raw[...]), [0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 2, 0, 0, 3, 3, 0, 0, 4, 9])
        XCTAssertEqual(removeEmulationPrevention(addEmulationPrevention(raw[...])[...]), raw)
    }
}
