import XCTest
import MediaFormats
import TestSupport
@testable import MP4Formats

/// Init segments parsed back with the box reader: the tree Chrome's MSE parser walks, and the fields it checks.
final class Mp4InitSegmentTests: XCTestCase {
    // Out-of-range reads give 0 so a wrong offset fails an assertion instead of stopping the run.
    private func u32(_ b: [UInt8], _ at: Int) -> UInt32 { at + 4 <= b.count ? b[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } : 0 }
    private func u16(_ b: [UInt8], _ at: Int) -> UInt16 { at + 2 <= b.count ? UInt16(b[at]) << 8 | UInt16(b[at + 1]) : 0 }
    private func payload(_ b: [UInt8], _ n: Mp4BoxNode?) -> [UInt8] { n.map { Array(b[$0.header.payload]) } ?? [] }

    private let avcWithAAC = [Mp4Track(codec: .h264, config: Mp4Vectors.avcHigh),
                              Mp4Track(codec: .aac, config: Mp4Vectors.ascStereo44k)]

    func testTreeForRealAvcCAndAAC() throws {
        let bytes = Fmp4Muxer(tracks: avcWithAAC).initSegment()
        let boxes = try Mp4BoxReader.tree(bytes)
        XCTAssertEqual(boxes.map(\.type), ["ftyp", "moov"])
        XCTAssertEqual(boxes.last?.outline, """
            moov
              mvhd
              trak
                tkhd
                mdia
                  mdhd
                  hdlr
                  minf
                    vmhd
                    dinf
                      dref
                        url\u{20}
                    stbl
                      stsd
                        avc1
                          avcC
                      stts
                      stsc
                      stsz
                      stco
              trak
                tkhd
                mdia
                  mdhd
                  hdlr
                  minf
                    smhd
                    dinf
                      dref
                        url\u{20}
                    stbl
                      stsd
                        mp4a
                          esds
                      stts
                      stsc
                      stsz
                      stco
              mvex
                trex
                trex
            """)
        XCTAssertEqual(boxes.last?.header.end, bytes.count, "nothing after the moov")
    }

    func testVideoFieldsChromeChecks() throws {
        let bytes = Fmp4Muxer(tracks: avcWithAAC).initSegment()
        let moov = try XCTUnwrap(try Mp4BoxReader.tree(bytes).last)
        XCTAssertEqual(u32(payload(bytes, moov.first("mvhd")), 96), 3, "next_track_ID")
        let video = try XCTUnwrap(moov.children("trak").first)
        let tkhd = payload(bytes, video.first("tkhd"))
        XCTAssertEqual(tkhd.prefix(4), [0, 0, 0, 3], "v0, enabled + in movie")
        XCTAssertEqual(u32(tkhd, 12), 1, "track_ID = bus index + 1")
        XCTAssertEqual(u32(tkhd, 76), 640 << 16, "16.16 width from the SPS")
        XCTAssertEqual(u32(tkhd, 80), 360 << 16)
        XCTAssertEqual(u32(payload(bytes, video.first("mdia/mdhd")), 12), 90000)
        XCTAssertEqual(u32(payload(bytes, video.first("mdia/hdlr")), 8), 0x7669_6465, "'vide'")
        let avc1 = payload(bytes, video.first("mdia/minf/stbl/stsd/avc1"))
        XCTAssertEqual(u16(avc1, 6), 1, "data_reference_index")
        XCTAssertEqual(u16(avc1, 24), 640)
        XCTAssertEqual(u16(avc1, 26), 360)
        XCTAssertEqual(payload(bytes, video.first("mdia/minf/stbl/stsd/avc1/avcC")), Mp4Vectors.avcHigh,
                       "the bus's avcC is the box payload, byte for byte")
        XCTAssertEqual(payload(bytes, video.first("mdia/minf/dinf/dref/url ")), [0, 0, 0, 1], "media in this file")
    }

    func testAudioFieldsAndTrex() throws {
        let bytes = Fmp4Muxer(tracks: avcWithAAC).initSegment()
        let moov = try XCTUnwrap(try Mp4BoxReader.tree(bytes).last)
        let audio = try XCTUnwrap(moov.children("trak").last)
        XCTAssertEqual(u32(payload(bytes, audio.first("tkhd")), 12), 2)
        XCTAssertEqual(u32(payload(bytes, audio.first("mdia/mdhd")), 12), 44100, "audio timescale = sample rate")
        XCTAssertEqual(u32(payload(bytes, audio.first("mdia/hdlr")), 8), 0x736F_756E, "'soun'")
        let mp4a = payload(bytes, audio.first("mdia/minf/stbl/stsd/mp4a"))
        XCTAssertEqual(u16(mp4a, 16), 2, "channelcount")
        XCTAssertEqual(u32(mp4a, 24), 44100 << 16)
        let esds = payload(bytes, audio.first("mdia/minf/stbl/stsd/mp4a/esds"))
        XCTAssertEqual(Array(esds.suffix(10)), [0x05, 0x05] + Mp4Vectors.ascStereo44k + [0x06, 0x01, 0x02],
                       "the whole ASC, sync extension included, is the DecoderSpecificInfo")
        let trex = try XCTUnwrap(moov.first("mvex")).children("trex").map { payload(bytes, $0) }
        XCTAssertEqual(trex.map { u32($0, 4) }, [1, 2])
        XCTAssertEqual(trex.map { u32($0, 8) }, [1, 1], "default_sample_description_index")
    }

    func testHevcAndOpus() throws {
        let muxer = Fmp4Muxer(tracks: [Mp4Track(codec: .h265, config: Mp4Vectors.hevc), Mp4Track(codec: .opus, channels: 2)])
        let bytes = muxer.initSegment()
        let moov = try XCTUnwrap(try Mp4BoxReader.tree(bytes).last)
        let video = try XCTUnwrap(moov.children("trak").first)
        let hvc1 = payload(bytes, video.first("mdia/minf/stbl/stsd/hvc1"))
        XCTAssertEqual([u16(hvc1, 24), u16(hvc1, 26)], [320, 240], "size from the H.265 SPS")
        XCTAssertEqual(payload(bytes, video.first("mdia/minf/stbl/stsd/hvc1/hvcC")), Mp4Vectors.hevc)
        let audio = try XCTUnwrap(moov.children("trak").last)
        XCTAssertEqual(u32(payload(bytes, audio.first("mdia/mdhd")), 12), 48000)
        XCTAssertEqual(payload(bytes, audio.first("mdia/minf/stbl/stsd/Opus/dOps")).count, 11)
        XCTAssertEqual(muxer.mimeType, "video/mp4; codecs=\"hvc1.4.10.L60.9E.8,opus\"")
    }

    func testNalLengthSizeIsForcedToFour() throws {
        var twoByte = Mp4Vectors.avcBaseline
        twoByte[4] = 0xFD
        let bytes = Fmp4Muxer(tracks: [Mp4Track(codec: .h264, config: twoByte)]).initSegment()
        let avcC = try XCTUnwrap(try Mp4BoxReader.tree(bytes).last?.first("trak/mdia/minf/stbl/stsd/avc1/avcC"))
        XCTAssertEqual(bytes[avcC.header.payload.lowerBound + 4], 0xFF, "the bus always sends 4-byte lengths")
    }

    func testUnsupportedTracksAreSkippedButKeepTheirIDs() throws {
        let muxer = Fmp4Muxer(tracks: [nil, Mp4Track(codec: .pcma, sampleRate: 8000, channels: 1),
                                       Mp4Track(codec: .h264), Mp4Track(codec: .aac, sampleRate: 48000, channels: 2)])
        XCTAssertFalse(muxer.isEmpty)
        XCTAssertEqual(muxer.muxedTracks, [3])
        XCTAssertEqual(muxer.mimeType, "audio/mp4; codecs=\"mp4a.40.2\"")
        let bytes = muxer.initSegment()
        let moov = try XCTUnwrap(try Mp4BoxReader.tree(bytes).last)
        XCTAssertEqual(moov.children("trak").count, 1)
        XCTAssertEqual(u32(payload(bytes, moov.first("trak/tkhd")), 12), 4)
        XCTAssertEqual(u32(payload(bytes, moov.first("mvhd")), 96), 5)
        let esds = payload(bytes, moov.first("trak/mdia/minf/stbl/stsd/mp4a/esds"))
        XCTAssertEqual(Array(esds.suffix(7)), [0x05, 0x02, 0x11, 0x90, 0x06, 0x01, 0x02], "ASC built from rate and channels")
    }

    func testEmptyAndUnusableTrackLists() {
        XCTAssertTrue(Fmp4Muxer(tracks: []).isEmpty)
        XCTAssertTrue(Fmp4Muxer(tracks: [nil, Mp4Track(codec: .pcmu), Mp4Track(codec: .vp9), Mp4Track(codec: .av1),
                                         Mp4Track(codec: .h265, config: [1, 2, 3]), Mp4Track(codec: .aac),
                                         Mp4Track(codec: .opus, config: [9, 9]), Mp4Track(codec: .mp3)]).isEmpty)
    }

    func testMp3() throws {
        let muxer = Fmp4Muxer(tracks: [Mp4Track(codec: .mp3, sampleRate: 44100, channels: 2)])
        XCTAssertEqual(muxer.mimeType, "audio/mp4; codecs=\"mp4a.6B\"")
        let bytes = muxer.initSegment()
        let esds = payload(bytes, try Mp4BoxReader.tree(bytes).last?.first("trak/mdia/minf/stbl/stsd/mp4a/esds"))
        XCTAssertEqual(esds, Mp4Vectors.hex("00000000 03 15 0000 00  04 0d 6b 15 000000 00000000 00000000  06 01 02"),
                       "objectTypeIndication 0x6B (MPEG-1 audio), no DecoderSpecificInfo")
    }

    /// Garbage codec records must be refused, never trap.
    func testGarbageConfigsDoNotCrash() {
        var rng = SplitMix64(seed: 0x6D70_3466)
        let codecs: [Codec] = [.h264, .h265, .aac, .opus, .mp3]
        for i in 0..<3000 {
            let n = Int(rng.next() % 64)
            var config = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if i % 3 == 0, n > 8 { config.replaceSubrange(0..<8, with: Array("OpusHead".utf8)) }
            if i % 5 == 0, !config.isEmpty { config[0] = 1 }
            let track = Mp4Track(codec: codecs[i % codecs.count], config: config, width: Int(rng.next() % 70000),
                                 height: Int(rng.next() % 70000), sampleRate: Int(rng.next() % 200_000), channels: Int(rng.next() % 12))
            let muxer = Fmp4Muxer(tracks: [track])
            if !muxer.isEmpty { XCTAssertNoThrow(try Mp4BoxReader.tree(muxer.initSegment())) }
        }
    }

    func testOpusHeadTruncatedAtEveryLength() {
        for head in [Mp4Vectors.opusHeadStereo, Mp4Vectors.opusHead51] {
            for n in 1..<head.count { XCTAssertNil(OpusConfig(config: Array(head.prefix(n)), channels: 2), "\(n) bytes") }
            XCTAssertNotNil(OpusConfig(config: head, channels: 2))
        }
    }
}
