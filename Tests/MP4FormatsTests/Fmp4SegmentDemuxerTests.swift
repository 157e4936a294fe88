import XCTest
import MediaFormats
@testable import MP4Formats

/// ffmpeg's fragmented file cut where an HLS muxer cuts it: the init section (ftyp + moov) and the
/// fragments that follow as separate segments, each read with the init section as an fMP4 HLS pull does.
final class Fmp4SegmentDemuxerTests: XCTestCase {
    /// Top-level boxes of a file: (type, start, end).
    private func boxes(_ bytes: [UInt8]) -> [(type: String, start: Int, end: Int)] {
        var out: [(String, Int, Int)] = []
        var at = 0
        while at + 8 <= bytes.count {
            let size = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard size >= 8, at + size <= bytes.count else { break }
            out.append((String(decoding: bytes[at + 4 ..< at + 8], as: UTF8.self), at, at + size))
            at += size
        }
        return out
    }

    /// The vector's init section and its fragments, each a moof with its mdat.
    private func cut(_ file: [UInt8] = Mp4FileVectors.fragmentedMoofBased) throws -> (initSection: [UInt8], segments: [[UInt8]]) {
        let list = boxes(file)
        let moov = try XCTUnwrap(list.first { $0.type == "moov" })
        var segments: [[UInt8]] = []
        for (i, b) in list.enumerated() where b.type == "moof" {
            let mdat = try XCTUnwrap(list.dropFirst(i + 1).first { $0.type == "mdat" })
            segments.append(Array(file[b.start ..< mdat.end]))
        }
        return (Array(file[..<moov.end]), segments)
    }

    func testSegmentsReadWithTheirInitSectionGiveTheFileFrames() throws {
        let (initSection, segments) = try cut()
        XCTAssertGreaterThan(segments.count, 1, "the vector has several fragments")
        let whole = try Mp4FileReader(source: Mp4MemorySource(Mp4FileVectors.fragmentedMoofBased))
        var frames: [Fmp4SegmentDemuxer.Frame] = []
        var tracks: [MediaTrack] = []
        for s in segments {
            let d = try Fmp4SegmentDemuxer.demux(initSection: initSection, segment: s)
            tracks = d.tracks
            XCTAssertEqual(d.frames.map(\.dts), d.frames.map(\.dts).sorted(), "decode order across tracks")
            frames += d.frames
        }
        XCTAssertEqual(tracks.map(\.codec), [.h264, .aac])
        let video = try XCTUnwrap(whole.tracks.first)
        let videoFrames = frames.filter { $0.track == 0 }
        XCTAssertEqual(videoFrames.count, video.samples.count)
        XCTAssertEqual(videoFrames.map(\.dts), video.samples.map { video.microseconds($0.dts) }, "tfdt keeps the times running")
        XCTAssertEqual(videoFrames.map(\.pts), video.samples.map { video.microseconds($0.pts) }, "composition offsets (B-frames)")
        XCTAssertEqual(videoFrames.map(\.key), video.samples.map(\.isSync))
        XCTAssertEqual(videoFrames.first?.data.count, video.samples.first?.size, "4-byte NAL lengths pass as they are")
        XCTAssertEqual(frames.filter { $0.track == 1 }.count, whole.tracks.last?.samples.count)
        XCTAssertFalse(frames.contains { $0.track == 1 && $0.key }, "audio frames are not marked as video keyframes")
    }

    func testNegativeCompositionOffsetsKeepPresentationAfterDecode() throws {
        let (initSection, segments) = try cut(Mp4FileVectors.fragmentedNegativeCts)
        var frames: [Fmp4SegmentDemuxer.Frame] = []
        for s in segments { frames += try Fmp4SegmentDemuxer.demux(initSection: initSection, segment: s).frames }
        XCTAssertEqual(frames.count, 25)
        XCTAssertTrue(frames.allSatisfy { $0.pts >= $0.dts }, "\(frames.map { ($0.dts, $0.pts) })")
        XCTAssertEqual(frames.map(\.dts), frames.map(\.dts).sorted())
        // Presentation order is the file's: 40 ms apart once sorted, B-frames between their references.
        let shown = frames.map(\.pts).sorted()
        XCTAssertEqual(zip(shown, shown.dropFirst()).map { $1 - $0 }, Array(repeating: 40_000, count: 24))
        XCTAssertNotEqual(frames.map(\.pts), shown, "B-frames: decode order differs from presentation order")
    }

    /// A tfdt far in the future (2^60 ticks) is refused, not carried into timestamp arithmetic.
    func testAbsurdDecodeTimeIsRefused() throws {
        let (initSection, segments) = try cut()
        var segment = try XCTUnwrap(segments.first)
        let tfdt = try XCTUnwrap((0 ..< segment.count - 4).first { String(decoding: segment[$0 ..< $0 + 4], as: UTF8.self) == "tfdt" })
        XCTAssertEqual(segment[tfdt + 4], 1, "ffmpeg writes 64-bit tfdt (version 1)")
        for (i, b) in [UInt8](arrayLiteral: 0x10, 0, 0, 0, 0, 0, 0, 0).enumerated() { segment[tfdt + 8 + i] = b }
        XCTAssertThrowsError(try Fmp4SegmentDemuxer.demux(initSection: initSection, segment: segment)) {
            XCTAssertTrue("\($0)".contains("µs"), "\($0)")
        }
    }

    func testCutAndGarbageSegmentsThrowOrYieldLessWithoutCrashing() throws {
        let (initSection, segments) = try cut()
        let first = try XCTUnwrap(segments.first)
        for n in stride(from: 0, to: first.count, by: 7) {
            _ = try? Fmp4SegmentDemuxer.demux(initSection: initSection, segment: Array(first.prefix(n)))
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var bad = first
            for _ in 0..<4 { bad[Int.random(in: 0..<bad.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? Fmp4SegmentDemuxer.demux(initSection: initSection, segment: bad)
        }
        XCTAssertThrowsError(try Fmp4SegmentDemuxer.demux(initSection: [], segment: first), "no init section: no moov")
        // A tfhd's absolute base data offset counts from the segment's start: cut out of a whole file that
        // used them, the offsets are wrong for the segment, which is read (bounded) or refused, never past it.
        let absolute = try cut(Mp4FileVectors.fragmented)
        for segment in absolute.segments { _ = try? Fmp4SegmentDemuxer.demux(initSection: absolute.initSection, segment: segment) }
        XCTAssertThrowsError(try Fmp4SegmentDemuxer.demux(initSection: [UInt8](repeating: 0, count: Fmp4SegmentDemuxer.maxInitBytes + 1),
                                                          segment: first))
    }
}
