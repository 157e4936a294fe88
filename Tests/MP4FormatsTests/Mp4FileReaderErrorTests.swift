import XCTest
import MediaFormats
import TestSupport
@testable import MP4Formats

/// Damaged and hostile files: each absurd value gives an error that says what is wrong, and random damage never
/// crashes, hangs or allocates without bound.
final class Mp4FileReaderErrorTests: XCTestCase {
    private func error(_ bytes: [UInt8]) -> Mp4FileError? {
        do { _ = try Mp4FileReader(source: Mp4MemorySource(bytes)); return nil } catch { return error }
    }

    /// The vector with one 32-bit field of a box rewritten; `at` counts from the box's payload.
    private func patched(_ bytes: [UInt8], _ path: String, at: Int, _ value: UInt32) throws -> [UInt8] {
        let moov = try XCTUnwrap(try Mp4BoxReader.tree(bytes).first { $0.type == "moov" })
        let box = try XCTUnwrap(path == "moov" ? moov : moov.first(path), path)
        var b = bytes
        let i = box.header.payload.lowerBound + at
        for k in 0..<4 { b[i + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        return b
    }

    private func assertMalformed(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        guard case .malformed(let message)? = error(bytes) else {
            return XCTFail("expected a malformed error mentioning \(fragment), got \(String(describing: error(bytes)))", file: file, line: line)
        }
        XCTAssertTrue(message.contains(fragment), message, file: file, line: line)
    }

    private let avc = Mp4FileVectors.avcAac
    private let stbl = "trak/mdia/minf/stbl"

    func testAbsurdTableValues() throws {
        assertMalformed(try patched(avc, "trak/mdia/mdhd", at: 12, 0), "timescale 0")
        assertMalformed(try patched(avc, "mvhd", at: 12, 0), "mvhd timescale 0")
        assertMalformed(try patched(avc, "\(stbl)/stsc", at: 8, 0), "chunk 0")
        assertMalformed(try patched(avc, "\(stbl)/stts", at: 4, 0x8000_0000), "stts claims 2147483648 entries")
        assertMalformed(try patched(avc, "\(stbl)/stsz", at: 8, 0x8000_0000), "stsz claims")
        assertMalformed(try patched(avc, "\(stbl)/stco", at: 8, 0xFFFF_FF00), "runs past the end")
        assertMalformed(try patched(avc, "\(stbl)/stsz", at: 12, 0x7FFF_FFFF), "runs past the end")
        assertMalformed(try patched(avc, "\(stbl)/stss", at: 8, 0), "stss names sample 0")
        assertMalformed(try patched(avc, "\(stbl)/stts", at: 8, 3), "stts covers fewer samples")
        assertMalformed(try patched(avc, "\(stbl)/ctts", at: 4, 1), "ctts covers fewer samples")
        assertMalformed(try patched(avc, "\(stbl)/stsc", at: 4, 0), "does not start at chunk 1")
        // Constant size: 2^31 samples of 1 byte would need a 2 GiB file.
        var constant = try patched(avc, "\(stbl)/stsz", at: 4, 1)
        constant = try patched(constant, "\(stbl)/stsz", at: 8, 0x8000_0000)
        assertMalformed(constant, "more than the")
    }

    func testStructuralErrors() throws {
        XCTAssertEqual(error([]), .noMovie)
        XCTAssertEqual(error(hexBytes("0000000c 6d646174 01020304")), .noMovie)
        XCTAssertEqual(error(Array(avc.prefix(100))), .noMovie, "cut inside the moov")
        if case .box? = error(hexBytes("00000004 6d6f6f76")) {} else { XCTFail("box smaller than its header") }
        // Nesting beyond the box reader's depth limit.
        var nested: [UInt8] = []
        for _ in 0..<40 { nested = Mp4Box.box("trak", nested) }
        if case .box(.tooDeep, _)? = error(Mp4Box.box("moov", nested)) {} else { XCTFail("deep nesting") }
        // A progressive file cut inside its mdat: the moov promises data that is not there.
        let cut = try XCTUnwrap(Mp4FileVectors.avcAac.count > 200 ? Array(Mp4FileVectors.avcAac.dropLast(200)) : nil)
        assertMalformed(cut, "runs past the end")
    }

    func testOversizedMoovIsRefusedWithoutReadingIt() {
        let huge = Int64(Mp4FileReader.maxMovieSize) + 1
        let header = hexBytes("00000018 66747970 69736f6d 00000200 69736f6d 6d703431") + [0, 0, 0, 0] + Array("moov".utf8)
        var prefix = header
        let size = UInt32(huge)
        for k in 0..<4 { prefix[24 + k] = UInt8(truncatingIfNeeded: size >> (24 - 8 * UInt32(k))) }
        let source = SparseSource(prefix: prefix, size: 24 + huge)
        XCTAssertThrowsError(try Mp4FileReader(source: source)) { error in
            XCTAssertEqual(error as? Mp4FileError, .movieTooLarge(size: huge, limit: Mp4FileReader.maxMovieSize))
            XCTAssertTrue("\(error)".contains("exceeds"))
        }
    }

    func testHugeTrunCountsAreRefused() throws {
        let (recording, _) = try Mp4FileWriterTests.recording()
        let tree = try Mp4BoxReader.tree(recording)
        let trun = try XCTUnwrap(tree.first { $0.type == "moof" }?.first("traf/trun"))
        var b = recording
        b[trun.header.payload.lowerBound + 4] = 0x7F                  // sample_count 0x7F000001
        assertMalformed(b, "claims")
    }

    // MARK: - Fuzz

    private func survive(_ bytes: [UInt8]) {
        do {
            let r = try Mp4FileReader(source: Mp4MemorySource(bytes))
            for t in r.tracks {
                // What the reader returns is usable: every sample lies inside the file.
                for s in t.samples { XCTAssert(s.offset >= 0 && s.offset + Int64(s.size) <= Int64(bytes.count)) }
                _ = t.syncSample(atOrBefore: 500_000)
            }
        } catch {
            XCTAssertFalse("\(error)".isEmpty)
        }
    }

    func testTruncationAtEveryLength() {
        for vector in [Mp4FileVectors.opus, Mp4FileVectors.alaw, Mp4FileVectors.negativeCtsCo64] {
            for n in 0...vector.count { survive(Array(vector.prefix(n))) }
        }
    }

    func testSeededMutations() {
        var rng = SplitMix64(seed: 0x4D50_3446_696C_6521)
        let vectors = [Mp4FileVectors.avcAac, Mp4FileVectors.hevc, Mp4FileVectors.fragmented, Mp4FileVectors.opus,
                       Mp4FileVectors.alaw, Mp4FileVectors.negativeCts, Mp4FileVectors.negativeCtsCo64]
        // Damage lands mostly in the boxes the reader parses: the mdat's bytes are never interpreted.
        let headers: [[Range<Int>]] = vectors.map { v in
            ((try? Mp4BoxReader.tree(v)) ?? []).filter { $0.type != "mdat" }.map { $0.header.start..<$0.header.end }
        }
        for round in 0..<6000 {
            let k = round % vectors.count
            var b = vectors[k]
            let regions = headers[k]
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let region = regions.isEmpty ? 0..<b.count : regions[Int.random(in: 0..<regions.count, using: &rng)]
                let i = Int.random(in: region, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 2: b[i] = [0x00, 0xFF, 0x7F, 0x80, 0x01][Int.random(in: 0..<5, using: &rng)]
                default:
                    // A whole 32-bit field set to an edge value: counts, sizes, offsets.
                    let v: UInt32 = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, UInt32(b.count)][Int.random(in: 0..<6, using: &rng)]
                    for j in 0..<4 where i + j < b.count { b[i + j] = UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32(j))) }
                }
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng))) }
            survive(b)
        }
    }
}
