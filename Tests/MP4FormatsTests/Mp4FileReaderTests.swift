import XCTest
import MediaFormats
import TestSupport
@testable import MP4Formats

/// Files written by ffmpeg, read back and compared with what ffprobe reported for the same bytes.
final class Mp4FileReaderTests: XCTestCase {
    private typealias Packet = Mp4FileProbes.Packet

    private func read(_ bytes: [UInt8]) throws -> Mp4FileReader { try Mp4FileReader(source: Mp4MemorySource(bytes)) }

    private func packets(_ track: Mp4FileTrack?, dtsShift: Int64 = 0) -> [Packet] {
        (track?.samples ?? []).map { Packet(dts: $0.dts - dtsShift, pts: $0.pts, size: $0.size, pos: $0.offset, key: $0.isSync) }
    }

    func testH264WithBFramesAndAAC() throws {
        let r = try read(Mp4FileVectors.avcAac)
        XCTAssertFalse(r.isFragmented)
        XCTAssertFalse(r.endsEarly)
        XCTAssertEqual(r.tracks.map(\.handler), ["vide", "soun"])
        let video = try XCTUnwrap(r.tracks.first), audio = try XCTUnwrap(r.tracks.last)
        XCTAssertEqual(video.timescale, 12800)
        XCTAssertEqual(video.duration, 12800)
        XCTAssertEqual(audio.timescale, 48000)
        XCTAssertEqual(audio.duration, 49024, "48 AAC frames less the last one's unused tail, as mdhd says")
        XCTAssertEqual(packets(video), Mp4FileProbes.avcAacStream0, "edit list media_time 1024 puts the first dts at -1024")
        XCTAssertEqual(packets(audio), Mp4FileProbes.avcAacStream1, "priming edit: first AAC frame at -1024")
        XCTAssertEqual(video.samples.indices.filter { video.samples[$0].isSync }, [0, 12, 24], "stss 1, 13, 25")

        let media = try XCTUnwrap(video.media)
        XCTAssertEqual(media.codec, .h264)
        XCTAssertEqual(video.sampleEntry, "avc1")
        XCTAssertEqual([media.width, media.height], [64, 48])
        let avc = try XCTUnwrap(AVCDecoderConfig(media.config[...]))
        XCTAssertEqual(avc.lengthSize, 4)
        XCTAssertEqual(avc.parsedSPS.map { [$0.width, $0.height] }, [64, 48])
        let aac = try XCTUnwrap(audio.media)
        XCTAssertEqual(aac.codec, .aac)
        XCTAssertEqual(aac.config, hexBytes("1188 56e500"), "AAC-LC, 48 kHz, mono, and the explicit no-SBR extension")
        XCTAssertEqual(aac.sampleRate, 48000)
        XCTAssertEqual(aac.channels, 1)
    }

    func testSeekFindsTheSyncSampleAtOrBefore() throws {
        let video = try XCTUnwrap(try read(Mp4FileVectors.avcAac).tracks.first)
        XCTAssertEqual(video.microseconds(6144), 480_000)
        XCTAssertEqual(video.microseconds(-1024), -80_000)
        XCTAssertEqual(video.syncSample(atOrBefore: 0), 0)
        XCTAssertEqual(video.syncSample(atOrBefore: 479_999), 0)
        XCTAssertEqual(video.syncSample(atOrBefore: 480_000), 12, "pts 6144 / 12800 s")
        XCTAssertEqual(video.syncSample(atOrBefore: 950_000), 12)
        XCTAssertEqual(video.syncSample(atOrBefore: 960_000), 24)
        XCTAssertEqual(video.syncSample(atOrBefore: 10_000_000), 24)
        XCTAssertEqual(video.syncSample(atOrBefore: -5_000_000), 0, "before the first: the first")
    }

    func testH265() throws {
        let r = try read(Mp4FileVectors.hevc)
        let video = try XCTUnwrap(r.tracks.first)
        XCTAssertEqual(r.tracks.count, 1)
        XCTAssertEqual(video.sampleEntry, "hvc1")
        XCTAssertEqual(packets(video), Mp4FileProbes.hevcStream0)
        let media = try XCTUnwrap(video.media)
        XCTAssertEqual(media.codec, .h265)
        let hevc = try XCTUnwrap(HEVCDecoderConfig(media.config[...]))
        XCTAssertEqual(hevc.dimensions.map { [$0.width, $0.height] }, [64, 48])
        XCTAssertEqual(hevc.lengthSize, 4)
    }

    func testFfmpegFragmentedFile() throws {
        let r = try read(Mp4FileVectors.fragmented)
        XCTAssertTrue(r.isFragmented)
        XCTAssertFalse(r.endsEarly)
        XCTAssertEqual(packets(r.tracks.first), Mp4FileProbes.fragmentedStream0,
                       "explicit base data offsets, tfhd defaults, first-sample flags; no edit list, so pts starts at 1024")
        XCTAssertEqual(packets(r.tracks.last), Mp4FileProbes.fragmentedStream1)
        XCTAssertEqual(r.tracks.first?.duration, 12800, "no mdhd duration: the sum of the trun durations")
        XCTAssertEqual(r.tracks.first?.media?.codec, .h264)
        XCTAssertEqual(r.tracks.last?.media?.config, hexBytes("1188 56e500"))
    }

    func testOpusBecomesAnOpusHead() throws {
        let r = try read(Mp4FileVectors.opus)
        let audio = try XCTUnwrap(r.tracks.first)
        XCTAssertEqual(packets(audio), Mp4FileProbes.opusStream0, "pre-skip edit: first packet at -312")
        let media = try XCTUnwrap(audio.media)
        XCTAssertEqual(media.codec, .opus)
        XCTAssertEqual(media.config, hexBytes("4f707573 48656164 01 01 3801 80bb0000 0000 00"),
                       "OpusHead v1, mono, pre-skip 312, 48 kHz, gain 0, family 0")
        let opus = try XCTUnwrap(OpusConfig(config: media.config, channels: media.channels))
        let tree = try Mp4BoxReader.tree(Mp4FileVectors.opus)
        let dOps = try XCTUnwrap(tree.first { $0.type == "moov" }?.first("trak/mdia/minf/stbl/stsd/Opus/dOps"))
        XCTAssertEqual(opus.dOps, Array(Mp4FileVectors.opus[dOps.header.start..<dOps.header.end]), "the muxer would write the same dOps back")
    }

    func testALawInQuickTimeGroupsSamplesLikeFfmpeg() throws {
        let r = try read(Mp4FileVectors.alaw)
        let audio = try XCTUnwrap(r.tracks.first)
        XCTAssertEqual(audio.media, MediaTrack(codec: .pcma, sampleRate: 8000, channels: 1))
        XCTAssertEqual(packets(audio), Mp4FileProbes.alawStream0, "1600 one-byte samples in runs of 1024")
    }

    func testNegativeCompositionOffsetsMoovAtEndAndCo64() throws {
        let r = try read(Mp4FileVectors.negativeCts)
        // ffmpeg moves dts back by the largest negative offset (its dts_shift, here 512) so that dts <= pts; the
        // file's own decode times start at 0.
        XCTAssertEqual(packets(r.tracks.first, dtsShift: 512), Mp4FileProbes.negativeCtsStream0)
        XCTAssertEqual(r.tracks.first?.samples.first?.dts, 0)
        let co64 = try read(Mp4FileVectors.negativeCtsCo64)
        XCTAssertEqual(co64.tracks.first?.samples, r.tracks.first?.samples)
        XCTAssertEqual(try Mp4BoxReader.tree(Mp4FileVectors.negativeCtsCo64).last?.first("trak/mdia/minf/stbl/co64")?.type, "co64")
    }

    func testFileSourceReadsLikeMemory() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mp4-reader-\(getpid()).mp4").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(Mp4FileVectors.avcAac)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try Mp4FileSource(path: path)
        XCTAssertEqual(file.size, Int64(Mp4FileVectors.avcAac.count))
        XCTAssertEqual(try file.read(offset: file.size - 3, count: 10), Array(Mp4FileVectors.avcAac.suffix(3)))
        let fromFile = try Mp4FileReader(source: file)
        let fromMemory = try read(Mp4FileVectors.avcAac)
        XCTAssertEqual(fromFile.tracks.map(\.samples), fromMemory.tracks.map(\.samples))
        XCTAssertThrowsError(try Mp4FileSource(path: path + ".missing"))
    }
}
