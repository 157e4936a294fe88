import MediaFormats
import MpegTS
import TestSupport
import XCTest

/// The demuxer on ffmpeg-made files (TsVectors): tracks, configs learned in-band, every frame with its timestamps.
final class TsDemuxerVectorTests: XCTestCase {
    /// ffprobe's ticks as microseconds; ours are rounded per frame, ffmpeg's AAC ticks are truncated per frame.
    private func assertClose(_ micros: Int64, _ ticks: Int64, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(micros - ticks * 100 / 9), 12, "\(what): \(micros) µs vs \(ticks) ticks", file: file, line: line)
    }

    func testEveryFrameOfTheVectorsWithFfprobesTimestamps() {
        for v in TsVectors.all {
            let (frames, d) = demuxAll(v.bytes)
            XCTAssertEqual(d.errors, 0, v.name)
            XCTAssertEqual(d.tracks.map(\.codec), v.codecs, v.name)
            for (track, expected) in v.packets.enumerated() {
                let got = frames.filter { $0.track == track }
                XCTAssertEqual(got.count, expected.count, "\(v.name) track \(track)")
                XCTAssertTrue(got.allSatisfy { $0.pid == 0x100 + UInt16(track) }, v.name)
                for (i, (f, p)) in zip(got, expected).enumerated() {
                    assertClose(f.pts, p.pts, "\(v.name) track \(track) frame \(i) pts")
                    assertClose(f.dts, p.dts, "\(v.name) track \(track) frame \(i) dts")
                    XCTAssertEqual(f.key, p.key, "\(v.name) track \(track) frame \(i)")
                }
            }
        }
    }

    func testH264FramesAreLengthPrefixedWithoutAudAndConfigIsLearned() throws {
        let (frames, d) = demuxAll(TsVectors.h264Aac.bytes)
        let video = frames.filter { $0.track == 0 }
        for f in video {
            let nals = try XCTUnwrap(NalUnits.splitLengthPrefixed(f.data[...]))
            XCTAssertFalse(nals.contains { NalUnits.h264Type($0) == 9 }, "AUD removed")
            XCTAssertEqual(nals.contains { NalUnits.h264Type($0) == 5 }, f.key)
        }
        let types = try XCTUnwrap(NalUnits.splitLengthPrefixed(video[0].data[...])).compactMap { NalUnits.h264Type($0) }
        XCTAssertEqual(types, [7, 8, 5], "x264's keyframe: SPS, PPS, IDR (SEI filtered when the vector was made)")
        let avcC = try XCTUnwrap(AVCDecoderConfig(d.tracks[0].config[...]))
        let sps = try XCTUnwrap(avcC.parsedSPS)
        XCTAssertEqual([sps.width, sps.height], [64, 48])
        XCTAssertEqual(avcC.pps.count, 1)

        let asc = try XCTUnwrap(AudioSpecificConfig(d.tracks[1].config[...]))
        XCTAssertEqual([asc.objectType, asc.sampleRate, asc.channels], [2, 22050, 1])
        XCTAssertEqual(d.tracks[1].sampleRate, 22050)
        XCTAssertEqual(d.tracks[1].channels, 1)
        // ffprobe: first ADTS frame 226 bytes, i.e. 219 without its header; the encoder's first frame opens with
        // the data stream element carrying "Lavc".
        let audio = frames.filter { $0.track == 1 }
        XCTAssertEqual(audio.first?.data.count, 219)
        XCTAssertEqual(Array(audio[0].data[3..<7]), Array("Lavc".utf8))
    }

    func testH265AndOpus() throws {
        let (frames, d) = demuxAll(TsVectors.h265Opus.bytes)
        let video = frames.filter { $0.track == 0 }
        for f in video {
            let types = try XCTUnwrap(NalUnits.splitLengthPrefixed(f.data[...])).compactMap { NalUnits.h265Type($0) }
            XCTAssertFalse(types.contains(35), "AUD removed")
            XCTAssertEqual(types.contains { (16...21).contains($0) }, f.key)
            if f.key { XCTAssertEqual(Array(types.prefix(3)), [32, 33, 34]) }
        }
        let hvcC = try XCTUnwrap(HEVCDecoderConfig(d.tracks[0].config[...]))
        XCTAssertEqual(hvcC.dimensions?.width, 64)
        XCTAssertEqual(hvcC.dimensions?.height, 48)
        XCTAssertEqual(d.tracks[1], TsTrack(codec: .opus, sampleRate: 48000, channels: 1), "channel count from FFmpeg's extension descriptor")
        // ffprobe's packet sizes: the control header and its start trim are gone, the TOC byte is first.
        let opus = frames.filter { $0.track == 1 }
        XCTAssertEqual(opus.prefix(5).map(\.data.count), [69, 55, 54, 62, 54])
        // Five packets per PES: the four after the first are timed from their TOCs (SILK, hybrid and CELT
        // modes, all 20 ms).
        XCTAssertEqual(Set(opus.map { $0.data[0] >> 3 }), [9, 15, 19, 27])
        XCTAssertEqual(Set(zip(opus, opus.dropFirst()).map { $1.pts - $0.pts }), [20_000])
    }

    func testChunkingDoesNotChangeTheResult() {
        var rng = SplitMix64(seed: 0x75)
        for v in TsVectors.all {
            let whole = demuxAll(v.bytes).frames
            XCTAssertEqual(demuxAll(v.bytes, chunk: 1).frames, whole, "\(v.name) byte by byte")
            XCTAssertEqual(demuxAll(v.bytes, chunk: 187).frames, whole, v.name)
            var d = TsDemuxer()
            var frames: [TsFrame] = []
            var i = 0
            while i < v.bytes.count {
                let n = Int.random(in: 0...600, using: &rng)
                frames += d.push(v.bytes[i..<min(i + n, v.bytes.count)])
                i += n
            }
            frames += d.flush()
            XCTAssertEqual(frames, whole, "\(v.name) random chunks")
        }
    }

    func testResyncAfterGarbageBetweenPackets() {
        var rng = SplitMix64(seed: 0x47)
        for v in TsVectors.all {
            let whole = demuxAll(v.bytes).frames
            var noisy: [UInt8] = (0..<500).map { _ in UInt8.random(in: 0...0x46, using: &rng) }
            for p in stride(from: 0, to: v.bytes.count, by: 188) {
                noisy += v.bytes[p..<(p + 188)]
                if p / 188 % 5 == 4 { noisy += (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0x48...0xFF, using: &rng) } }
            }
            let (frames, d) = demuxAll(noisy, chunk: 100)
            XCTAssertEqual(frames, whole, v.name)
            XCTAssertGreaterThan(d.errors, 0, "losing sync is counted")
        }
    }

    func testJoiningMidStreamStartsAtTheNextTables() {
        // Drop the first 10 packets (first PAT/PMT and the start of the first PES): frames come once tables repeat.
        let v = TsVectors.h264Aac
        let (frames, d) = demuxAll(Array(v.bytes[(10 * 188)...]))
        XCTAssertEqual(d.tracks.map(\.codec), [.h264, .aac])
        XCTAssertFalse(frames.isEmpty)
        XCTAssertEqual(frames.first { $0.track == 0 }?.key, true, "video resumes at the keyframe the tables precede")
    }
}
