import XCTest
import MediaFormats
import TestSupport
@testable import MP4Formats

/// Writing progressive files and finalising fragmented recordings, checked by reading the result back.
final class Mp4FileWriterTests: XCTestCase {
    private func read(_ bytes: [UInt8]) throws -> Mp4FileReader { try Mp4FileReader(source: Mp4MemorySource(bytes)) }

    /// Every track of a file rewritten with the writer: samples laid out track by track, so each track's chunk
    /// table differs from the source's.
    private func rewrite(_ source: [UInt8]) throws -> (Mp4FileReader, [UInt8]) {
        let r = try read(source)
        var payload: [UInt8] = []
        var tracks: [Mp4FileWriter.Track] = []
        for t in r.tracks {
            let media = try XCTUnwrap(t.media)
            let samples = t.samples.map { s -> Mp4FileSample in
                var s = s
                let from = Int(s.offset)
                s.offset = Int64(payload.count)
                payload += source[from..<(from + s.size)]
                return s
            }
            tracks.append(Mp4FileWriter.Track(media: media, timescale: t.timescale, samples: samples))
        }
        return (r, try Mp4FileWriter.header(tracks: tracks, mdatPayloadSize: Int64(payload.count)) + payload)
    }

    private func assertSameSamples(_ a: Mp4FileReader, _ aBytes: [UInt8], _ b: Mp4FileReader, _ bBytes: [UInt8],
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.tracks.count, b.tracks.count, file: file, line: line)
        for (x, y) in zip(a.tracks, b.tracks) {
            XCTAssertEqual(x.timescale, y.timescale, file: file, line: line)
            XCTAssertEqual(x.samples.map { [$0.dts, $0.pts, Int64($0.size), Int64($0.duration)] },
                           y.samples.map { [$0.dts, $0.pts, Int64($0.size), Int64($0.duration)] }, file: file, line: line)
            XCTAssertEqual(x.samples.map(\.isSync), y.samples.map(\.isSync), file: file, line: line)
            XCTAssertEqual(x.samples.map { aBytes[Int($0.offset)..<Int($0.offset) + $0.size] },
                           y.samples.map { bBytes[Int($0.offset)..<Int($0.offset) + $0.size] }, "sample bytes", file: file, line: line)
        }
    }

    func testRoundTripKeepsSamplesTimesAndEdits() throws {
        for vector in [Mp4FileVectors.avcAac, Mp4FileVectors.hevc, Mp4FileVectors.opus, Mp4FileVectors.negativeCts, Mp4FileVectors.fragmented] {
            let (original, written) = try rewrite(vector)
            let back = try read(written)
            assertSameSamples(original, vector, back, written)
            XCTAssertFalse(back.isFragmented)
            XCTAssertEqual(back.tracks.map(\.media), original.tracks.map(\.media).map { m in
                // The writer declares 4-byte NAL lengths and takes sizes from the SPS, as the live muxer does.
                m.map { MediaTrack(codec: $0.codec, config: $0.config, width: $0.width, height: $0.height,
                                   sampleRate: $0.sampleRate, channels: $0.channels) }
            }.map { $0 })
            let top = try Mp4BoxReader.tree(written).map(\.type)
            XCTAssertEqual(top, ["ftyp", "moov", "mdat"], "faststart")
        }
    }

    func testTablesOfARewrittenBFrameFile() throws {
        let (_, written) = try rewrite(Mp4FileVectors.avcAac)
        let moov = try XCTUnwrap(try Mp4BoxReader.tree(written).first { $0.type == "moov" })
        let video = try XCTUnwrap(moov.children("trak").first)
        func payload(_ path: String) -> [UInt8] { video.first(path).map { Array(written[$0.header.payload]) } ?? [] }
        XCTAssertEqual(payload("edts/elst"), hexBytes("00000000 00000001 000003e8 00000400 00010000"),
                       "one edit: 1000 ms from media time 1024, as ffmpeg wrote it")
        XCTAssertEqual(payload("mdia/minf/stbl/stss"), hexBytes("00000000 00000003 00000001 0000000d 00000019"))
        XCTAssertEqual(payload("mdia/minf/stbl/stsc"), hexBytes("00000000 00000001 00000001 00000019 00000001"),
                       "the track's samples are back to back: one chunk")
        XCTAssertEqual(Array(payload("mdia/minf/stbl/ctts").prefix(4)), [0, 0, 0, 0], "no negative offset: version 0")
        XCTAssertEqual(payload("mdia/minf/stbl/stts"), hexBytes("00000000 00000001 00000019 00000200"))
    }

    func testPositiveStartBecomesAnEmptyEdit() throws {
        // Audio starting 1000 ticks (20.83 ms) after the movie: a 21 ms empty edit, then 8 ticks skipped.
        let samples = (0..<3).map { Mp4FileSample(offset: Int64($0 * 4), size: 4, dts: 1000 + Int64($0) * 1024,
                                                   pts: 1000 + Int64($0) * 1024, duration: 1024, isSync: true) }
        let track = Mp4FileWriter.Track(media: MediaTrack(codec: .aac, config: [0x11, 0x90]), timescale: 48000, samples: samples)
        let bytes = try Mp4FileWriter.header(tracks: [track], mdatPayloadSize: 12) + [UInt8](repeating: 7, count: 12)
        let elst = try XCTUnwrap(try Mp4BoxReader.tree(bytes).last { $0.type == "moov" }?.first("trak/edts/elst"))
        XCTAssertEqual(Array(bytes[elst.header.payload]), hexBytes("""
            00000000 00000002  00000015 ffffffff 00010000  00000040 00000008 00010000
            """), "21 ms empty; 64 ms (3072 - 8 ticks) from media time 8")
        let start = Int64(bytes.count - 12)
        XCTAssertEqual(try read(bytes).tracks.first?.samples, samples.map { var s = $0; s.offset += start; return s })
    }

    func testLargeOffsetsUseCo64AndALargeMdat() throws {
        // A 5 GB mdat whose bytes are never read: the source reports the size and zeros.
        let size: Int64 = 5_000_000_000
        let media = MediaTrack(codec: .h264, config: Mp4Vectors.avcBaseline)
        let samples = [Int64(0), 4_400_000_000].enumerated().map { i, offset in
            Mp4FileSample(offset: offset, size: 100, dts: Int64(i) * 3600, pts: Int64(i) * 3600, duration: 3600, isSync: i == 0)
        }
        let header = try Mp4FileWriter.header(tracks: [Mp4FileWriter.Track(media: media, timescale: 90000, samples: samples)],
                                              mdatPayloadSize: size)
        let tree = try Mp4BoxReader.tree(header.dropLast(16))
        XCTAssertEqual(tree.map(\.type), ["ftyp", "moov"], "the mdat header follows, sized past 4 GiB")
        XCTAssertNotNil(tree.last?.first("trak/mdia/minf/stbl/co64"))
        XCTAssertEqual(Array(header.suffix(16).prefix(8)), hexBytes("00000001 6d646174"), "64-bit mdat size")
        let source = SparseSource(prefix: header, size: Int64(header.count) + size)
        let back = try XCTUnwrap(try Mp4FileReader(source: source).tracks.first)
        XCTAssertEqual(back.samples.map(\.offset), samples.map { $0.offset + Int64(header.count) })
        XCTAssertEqual(back.samples.map(\.isSync), [true, false])
    }

    func testRefusesWhatItCannotDescribe() {
        let avc = MediaTrack(codec: .h264, config: Mp4Vectors.avcBaseline)
        func error(_ tracks: [Mp4FileWriter.Track], payload: Int64 = 100) -> Mp4FileError? {
            do { _ = try Mp4FileWriter.header(tracks: tracks, mdatPayloadSize: payload); return nil } catch { return error }
        }
        let s = Mp4FileSample(offset: 0, size: 10, dts: 0, pts: 0, duration: 1, isSync: true)
        XCTAssertNotNil(error([.init(media: MediaTrack(codec: .pcma, sampleRate: 8000, channels: 1), timescale: 8000, samples: [s])]))
        var twoByteLengths = Mp4Vectors.avcBaseline
        twoByteLengths[4] = 0xFD
        XCTAssertFalse(Mp4FileWriter.canWrite(MediaTrack(codec: .h264, config: twoByteLengths)))
        XCTAssertTrue(Mp4FileWriter.canWrite(avc))
        XCTAssertNotNil(error([.init(media: avc, timescale: 0, samples: [s])]), "zero timescale")
        XCTAssertNotNil(error([.init(media: avc, timescale: 90000, samples: [s])], payload: 5), "sample past the mdat")
        var back = s
        back.dts = -1
        XCTAssertNotNil(error([.init(media: avc, timescale: 90000, samples: [s, back])]), "dts going backwards")
        var far = s
        far.pts = Int64(Int32.max) + 1
        XCTAssertNotNil(error([.init(media: avc, timescale: 90000, samples: [far])]), "composition offset beyond 32 bits")
    }

    // MARK: - Recordings

    /// What the recorder writes: Fmp4Muxer's init segment and fragments, fed with the H.264 and AAC frames of the
    /// ffmpeg vector at their ffprobe times (in microseconds, the bus clock).
    static func recording() throws -> (bytes: [UInt8], frames: [[ArraySlice<UInt8>]]) {
        let source = Mp4FileVectors.avcAac
        let r = try Mp4FileReader(source: Mp4MemorySource(source))
        var muxer = Fmp4Muxer(tracks: r.tracks.map(\.media))
        var bytes = muxer.initSegment()
        var frames: [[ArraySlice<UInt8>]] = r.tracks.map { _ in [] }
        var all: [(track: Int, sample: Mp4FileSample)] = []
        for (t, track) in r.tracks.enumerated() { all += track.samples.map { (t, $0) } }
        all.sort { $0.sample.offset < $1.sample.offset }
        for (t, s) in all {
            let track = r.tracks[t]
            let data = source[Int(s.offset)..<(Int(s.offset) + s.size)]
            frames[t].append(data)
            for f in muxer.mux(track: t, pts: track.microseconds(s.pts), dts: track.microseconds(s.dts), key: s.isSync, data: data) {
                bytes += f.bytes
            }
        }
        for f in muxer.flush() { bytes += f.bytes }
        return (bytes, frames)
    }

    func testFinalizeRecordingIntoFaststartFile() throws {
        let (recording, frames) = try Self.recording()
        let fragmented = try read(recording)
        XCTAssertTrue(fragmented.isFragmented)
        XCTAssertEqual(fragmented.tracks.map { $0.samples.count }, [25, 48])
        XCTAssertEqual(fragmented.tracks.map(\.timescale), [90000, 48000])
        XCTAssertEqual(fragmented.tracks.first?.samples.filter(\.isSync).count, 3)

        var out: [UInt8] = []
        var pieces = 0
        let summary = try Mp4Faststart.finalize(source: Mp4MemorySource(recording), chunkSize: 1000) { out += $0; pieces += 1 }
        XCTAssertEqual(summary.trackIDs, [1, 2])
        XCTAssertEqual(summary.samples, 73)
        XCTAssertEqual(summary.bytesWritten, Int64(out.count))
        XCTAssertFalse(summary.sourceEndedEarly)
        XCTAssertGreaterThan(pieces, 5, "media copied in chunks")
        XCTAssertEqual(try Mp4BoxReader.tree(out).map(\.type), ["ftyp", "moov", "mdat"])

        let final = try read(out)
        XCTAssertFalse(final.isFragmented)
        assertSameSamples(fragmented, recording, final, out)
        for (t, track) in final.tracks.enumerated() {
            XCTAssertEqual(track.samples.map { out[Int($0.offset)..<(Int($0.offset) + $0.size)] }, frames[t])
        }
        // The muxer's origin is the first dts (-80 ms): video then starts at 0 and its first pts is 80 ms.
        XCTAssertEqual(final.tracks.first?.samples.first.map { [$0.dts, $0.pts] }, [0, 7200])
    }

    func testRecordingCutAtAnyPointKeepsItsCompleteFragments() throws {
        let (recording, _) = try Self.recording()
        let full = try read(recording)
        let initSize = try Mp4BoxReader.tree(recording).prefix(2).reduce(0) { $0 + $1.header.size }
        var previous = 0
        // Every cut from just after the init segment to the end: never an error, never fewer samples than a
        // shorter cut, always a prefix of the full recording.
        for cut in Array(stride(from: initSize, to: recording.count, by: 7)) + [recording.count] {
            let r = try read(Array(recording.prefix(cut)))
            let count = r.tracks.reduce(0) { $0 + $1.samples.count }
            XCTAssertGreaterThanOrEqual(count, previous)
            previous = count
            for (a, b) in zip(r.tracks, full.tracks) { XCTAssertEqual(a.samples, Array(b.samples.prefix(a.samples.count))) }
            if cut < recording.count { XCTAssertTrue(r.endsEarly || count < 73 || cut == recording.count) }
        }
        XCTAssertEqual(previous, 73)
        // The same through the finaliser: a cut recording still gives a playable file.
        let cut = Array(recording.prefix(recording.count * 2 / 3))
        var out: [UInt8] = []
        let summary = try Mp4Faststart.finalize(source: Mp4MemorySource(cut)) { out += $0 }
        XCTAssertTrue(summary.sourceEndedEarly)
        XCTAssertGreaterThan(summary.samples, 30)
        XCTAssertEqual(try read(out).tracks.reduce(0) { $0 + $1.samples.count }, summary.samples)
        XCTAssertThrowsError(try read(Array(recording.prefix(initSize - 1))), "cut inside the moov") { error in
            XCTAssertEqual(error as? Mp4FileError, .noMovie)
        }
    }
}

/// A source of `size` bytes: `prefix`, then zeros that are never stored.
struct SparseSource: Mp4ByteSource {
    let prefix: [UInt8]
    let size: Int64

    func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, offset <= size else { throw Mp4FileError.io("offset \(offset)") }
        let n = Int(min(Int64(count), size - offset))
        return (0..<n).map { i in
            let at = offset + Int64(i)
            return at < Int64(prefix.count) ? prefix[Int(at)] : 0
        }
    }
}
