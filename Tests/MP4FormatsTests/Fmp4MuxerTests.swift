import XCTest
import MediaFormats
import TestSupport
@testable import MP4Formats

final class Fmp4MuxerTests: XCTestCase {
    private let h = Mp4Vectors.hex

    /// What one single-sample fragment says, read back through the box reader.
    private struct Parsed {
        var sequence: UInt32, trackID: UInt32, baseTime: UInt64
        var duration: UInt32, size: UInt32, flags: UInt32, offset: Int32
        var payload: [UInt8]
    }

    private func parse(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> Parsed {
        func u32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        let boxes = try Mp4BoxReader.tree(bytes)
        XCTAssertEqual(boxes.map(\.type), ["moof", "mdat"], file: file, line: line)
        let moof = try XCTUnwrap(boxes.first), mdat = try XCTUnwrap(boxes.last)
        XCTAssertEqual(moof.outline, "moof\n  mfhd\n  traf\n    tfhd\n    tfdt\n    trun", file: file, line: line)
        let mfhd = try XCTUnwrap(moof.first("mfhd")).header.payload.lowerBound
        let tfhd = try XCTUnwrap(moof.first("traf/tfhd")).header.payload.lowerBound
        let tfdt = try XCTUnwrap(moof.first("traf/tfdt")).header.payload.lowerBound
        let trun = try XCTUnwrap(moof.first("traf/trun")).header.payload.lowerBound
        XCTAssertEqual(u32(tfhd), 0x0002_0000, file: file, line: line)
        XCTAssertEqual(u32(tfdt) >> 24, 1, "tfdt v1", file: file, line: line)
        XCTAssertEqual(u32(trun), 0x0100_0F01, "trun v1", file: file, line: line)
        XCTAssertEqual(u32(trun + 4), 1, "one sample", file: file, line: line)
        XCTAssertEqual(Int(u32(trun + 8)), mdat.header.payload.lowerBound - moof.header.start, "data offset from the moof",
                       file: file, line: line)
        let size = u32(trun + 16)
        XCTAssertEqual(Int(size), mdat.header.payload.count, file: file, line: line)
        return Parsed(sequence: u32(mfhd + 4), trackID: u32(tfhd + 4), baseTime: UInt64(u32(tfdt + 4)) << 32 | UInt64(u32(tfdt + 8)),
                      duration: u32(trun + 12), size: size, flags: u32(trun + 20), offset: Int32(bitPattern: u32(trun + 24)),
                      payload: Array(bytes[mdat.header.payload]))
    }

    private let au: [UInt8] = [0, 0, 0, 2, 0x65, 0x88]

    func testWholeFragmentBytes() {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcBaseline)])
        XCTAssertTrue(m.mux(track: 0, pts: 1_000_000, dts: 1_000_000, key: true, data: au[...]).isEmpty, "held until its duration is known")
        let out = m.mux(track: 0, pts: 1_120_000, dts: 1_040_000, key: false, data: [0, 0, 0, 1, 0x41][...])
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out.first?.track, 0)
        XCTAssertEqual(out.first?.key, true)
        XCTAssertEqual(out.first?.bytes, h("""
            00000068 6d6f6f66
              00000010 6d666864 00000000 00000001
              00000050 74726166
                00000010 74666864 00020000 00000001
                00000014 74666474 01000000 0000000000000000
                00000024 7472756e 01000f01 00000001 00000070  00000e10 00000006 02000000 00000000
            0000000e 6d646174 00000002 6588
            """), "seq 1, track 1, decode time 0, 40 ms at 90 kHz, 6 bytes, sync, no reordering, data at 104 + 8")
        let last = m.flush()
        XCTAssertEqual(last.count, 1)
        XCTAssertEqual(last.first?.key, false)
        let p = try? parse(last.first?.bytes ?? [])
        XCTAssertEqual(p?.sequence, 2)
        XCTAssertEqual(p?.baseTime, 3600)
        XCTAssertEqual(p?.duration, 3600, "no successor: 1/25 s")
        XCTAssertEqual(p?.flags, 0x0101_0000)
        XCTAssertEqual(p?.offset, 7200, "pts - dts = 80 ms")
        XCTAssertEqual(p?.payload, [0, 0, 0, 1, 0x41])
        XCTAssertTrue(m.flush().isEmpty)
    }

    func testBFramesGiveSignedOffsetsAndContinuousDecodeTimes() throws {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcHigh)])
        // I P B B in decode order at 30 fps; dts starts before pts as ffmpeg writes it.
        let frame = 33_333 as Int64
        let order: [(pts: Int64, dts: Int64, key: Bool)] = [(0, -2 * frame, true), (3 * frame, -frame, false), (frame, 0, false),
                                                            (2 * frame, frame, false), (6 * frame, 2 * frame, false)]
        var parsed: [Parsed] = []
        for f in order { parsed += try m.mux(track: 0, pts: f.pts, dts: f.dts, key: f.key, data: au[...]).map { try parse($0.bytes) } }
        parsed += try m.flush().map { try parse($0.bytes) }
        XCTAssertEqual(parsed.map(\.sequence), [1, 2, 3, 4, 5])
        XCTAssertEqual(parsed.map(\.baseTime), [0, 3000, 6000, 9000, 12000], "relative to the first dts")
        XCTAssertEqual(parsed.map(\.duration), [3000, 3000, 3000, 3000, 3600])
        XCTAssertEqual(parsed.map(\.offset), [6000, 12000, 3000, 3000, 12000])
        XCTAssertEqual(parsed.map(\.flags), [0x0200_0000] + [UInt32](repeating: 0x0101_0000, count: 4))
        for (a, b) in zip(parsed, parsed.dropFirst()).prefix(3) { XCTAssertEqual(a.baseTime + UInt64(a.duration), b.baseTime, "no gaps") }
    }

    func testNegativeCompositionOffsetIsSigned() throws {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcBaseline)])
        _ = m.mux(track: 0, pts: 0, dts: 0, key: true, data: au[...])
        _ = m.mux(track: 0, pts: 40_000, dts: 80_000, key: false, data: au[...])
        let p = try parse(try XCTUnwrap(m.flush().first).bytes)
        XCTAssertEqual(p.offset, -3600)
    }

    func testTracksShareOneOriginAndEarlierFramesAreClamped() throws {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcBaseline),
                                   Mp4Track(codec: .aac, config: Mp4Vectors.ascStereo44k)])
        var out: [(track: Int, key: Bool, bytes: [UInt8])] = []
        out += m.mux(track: 0, pts: 5_000_000, dts: 5_000_000, key: true, data: au[...])        // origin
        out += m.mux(track: 1, pts: 4_990_000, dts: 4_990_000, key: false, data: [1, 2][...])  // before it: clamped to 0
        out += m.mux(track: 1, pts: 5_013_220, dts: 5_013_220, key: false, data: [3][...])
        out += m.mux(track: 1, pts: 5_036_440, dts: 5_036_440, key: false, data: [4][...])
        out += m.mux(track: 0, pts: 5_040_000, dts: 5_040_000, key: false, data: au[...])
        out += m.flush()
        let parsed = try out.map { try parse($0.bytes) }
        XCTAssertEqual(out.map(\.track), [1, 1, 0, 1, 0])
        XCTAssertEqual(out.map(\.key), [false, false, true, false, false], "the bus's flags come back unchanged")
        XCTAssertEqual(parsed.map(\.trackID), [2, 2, 1, 2, 1])
        XCTAssertEqual(parsed.map(\.sequence), [1, 2, 3, 4, 5], "one sequence across tracks")
        XCTAssertEqual(parsed.map(\.baseTime), [0, 583, 0, 1607, 3600], "13.22 ms and 36.44 ms at 44.1 kHz")
        XCTAssertEqual(parsed.map(\.duration), [583, 1024, 3600, 1024, 3600])
        XCTAssertEqual(parsed.map(\.flags), [0x0200_0000, 0x0200_0000, 0x0200_0000, 0x0200_0000, 0x0101_0000],
                       "audio is always sync")
        XCTAssertEqual(parsed.map(\.offset), [0, 0, 0, 0, 0])
    }

    func testFlushEmitsInDecodeOrder() throws {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcBaseline), Mp4Track(codec: .opus)])
        _ = m.mux(track: 1, pts: 20_000, dts: 20_000, key: false, data: [0x18, 1][...])  // SILK 60 ms
        _ = m.mux(track: 0, pts: 10_000, dts: 10_000, key: true, data: au[...])
        let out = m.flush()
        XCTAssertEqual(out.map(\.track), [0, 1], "video came second but has the lower dts")
        XCTAssertEqual(try parse(try XCTUnwrap(out.first).bytes).baseTime, 0, "video before the origin: clamped")
        XCTAssertEqual(try parse(try XCTUnwrap(out.last).bytes).duration, 2880, "Opus duration from the TOC")
    }

    func testNonIncreasingDtsFallsBackToNominalDuration() throws {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .aac, sampleRate: 48000, channels: 2)])
        _ = m.mux(track: 0, pts: 100_000, dts: 100_000, key: false, data: [1][...])
        let same = m.mux(track: 0, pts: 100_000, dts: 100_000, key: false, data: [2][...])
        XCTAssertEqual(try parse(try XCTUnwrap(same.first).bytes).duration, 1024)
        let back = m.mux(track: 0, pts: 50_000, dts: 50_000, key: false, data: [3][...])
        XCTAssertEqual(try parse(try XCTUnwrap(back.first).bytes).duration, 1024)
        let p = try parse(try XCTUnwrap(m.flush().first).bytes)
        XCTAssertEqual(p.baseTime, 0, "before the origin: clamped")
    }

    func testSkippedTracksAndEmptyFrames() {
        var m = Fmp4Muxer(tracks: [nil, Mp4Track(codec: .pcma), Mp4Track(codec: .aac, sampleRate: 44100, channels: 1)])
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: [1][...]).isEmpty)
        XCTAssertTrue(m.mux(track: 1, pts: 0, dts: 0, key: true, data: [1][...]).isEmpty)
        XCTAssertTrue(m.mux(track: 7, pts: 0, dts: 0, key: true, data: [1][...]).isEmpty)
        XCTAssertTrue(m.mux(track: -1, pts: 0, dts: 0, key: true, data: [1][...]).isEmpty)
        XCTAssertTrue(m.mux(track: 2, pts: 0, dts: 0, key: false, data: [][...]).isEmpty)
        XCTAssertTrue(m.flush().isEmpty, "nothing was held")
    }

    func testSliceIndicesArePreserved() throws {
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .aac, sampleRate: 44100, channels: 1)])
        let buffer: [UInt8] = [9, 9, 9, 1, 2, 3, 9]
        _ = m.mux(track: 0, pts: 0, dts: 0, key: false, data: buffer[3..<6])
        XCTAssertEqual(try parse(try XCTUnwrap(m.flush().first).bytes).payload, [1, 2, 3])
    }

    /// Network timestamps can be anything: extremes must saturate, every fragment must still parse.
    func testRandomTimestampsAndPayloadsNeverTrap() throws {
        var rng = SplitMix64(seed: 0xF4A9_2025)
        var m = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: Mp4Vectors.avcHigh), Mp4Track(codec: .opus, channels: 2),
                                   Mp4Track(codec: .aac, config: Mp4Vectors.ascStereo44k)])
        let extremes: [Int64] = [.min, .max, 0, -1, 1, .min + 1, .max - 1]
        var sequence: UInt32 = 0
        for i in 0..<3000 {
            let ts: () -> Int64 = { i % 4 == 0 ? extremes[Int(rng.next() % 7)] : Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64) }
            let data = (0..<Int(rng.next() % 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let out = m.mux(track: Int(rng.next() % 4), pts: ts(), dts: ts(), key: rng.next() & 1 == 0, data: data[...])
            for f in out + (i % 500 == 0 ? m.flush() : []) {
                let p = try parse(f.bytes)
                XCTAssertEqual(p.sequence, sequence + 1)
                sequence = p.sequence
            }
        }
    }
}
