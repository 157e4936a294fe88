import XCTest
@testable import MP4Formats

/// Small boxes against bytes derived by hand from ISO/IEC 14496-12/-14 and the Opus-in-ISOBMFF spec (the
/// field-by-field breakdown is in each hex literal), plus the one box ffmpeg writes identically.
final class Mp4BoxVectorTests: XCTestCase {
    private let h = Mp4Vectors.hex

    func testFtyp() {
        XCTAssertEqual(Mp4InitSegment.ftyp(), h("""
            0000001c 66747970  69736f35 00000000  69736f35 69736f36 6d703431
            """), "size 28 'ftyp', major iso5, minor 0, compatible iso5 iso6 mp41")
    }

    func testTfdtVersion1() {
        XCTAssertEqual(Mp4Fragment.tfdt(0x1_2345_6789), h("00000014 74666474 01000000 0000000123456789"))
    }

    func testMfhdAndTfhd() {
        XCTAssertEqual(Mp4Fragment.mfhd(1), h("00000010 6d666864 00000000 00000001"))
        XCTAssertEqual(Mp4Fragment.tfhd(2), h("00000010 74666864 00020000 00000002"), "default-base-is-moof")
    }

    func testTrunVersion1WithOneSample() {
        let sample = Mp4Sample(duration: 3600, sync: false, compositionOffset: -3600, data: [UInt8](repeating: 7, count: 1000)[...])
        XCTAssertEqual(Mp4Fragment.trun([sample], dataOffset: 112), h("""
            00000024 7472756e 01000f01
            00000001 00000070
            00000e10 000003e8 01010000 fffff1f0
            """), "v1, flags duration|size|flags|cto + data offset; 1 sample at 112; 3600 ticks, 1000 bytes, non-sync, -3600")
        let sync = Mp4Sample(duration: 1024, sync: true, compositionOffset: 0, data: [1][...])
        XCTAssertEqual(Array(Mp4Fragment.trun([sync], dataOffset: 0).suffix(16)), h("00000400 00000001 02000000 00000000"))
    }

    func testEsdsForTwoByteASC() {
        XCTAssertEqual(Mp4SampleEntry.esds(objectType: 0x40, decoderSpecificInfo: [0x12, 0x10]), h("""
            00000027 65736473 00000000
            03 19  0000 00
              04 11  40 15 000000 00000000 00000000
                05 02  1210
              06 01  02
            """), "ES_Descriptor(ES_ID 0) > DecoderConfig(AAC, audio stream, no rates) > DSI(ASC); SLConfig predefined 2")
    }

    func testDescriptorLengthsUseSevenBitGroups() {
        XCTAssertEqual(Array(Mp4SampleEntry.descriptor(5, [UInt8](repeating: 0, count: 127)).prefix(2)), [5, 0x7F])
        XCTAssertEqual(Array(Mp4SampleEntry.descriptor(5, [UInt8](repeating: 0, count: 128)).prefix(3)), [5, 0x81, 0x00])
        XCTAssertEqual(Array(Mp4SampleEntry.descriptor(5, [UInt8](repeating: 0, count: 300)).prefix(3)), [5, 0x82, 0x2C])
    }

    func testDOpsWithoutHeader() throws {
        let opus = try XCTUnwrap(OpusConfig(config: [], channels: 2))
        XCTAssertEqual(opus.dOps, h("00000013 644f7073  00 02 0000 0000bb80 0000 00"),
                       "version 0, 2 channels, pre-skip 0, 48000 Hz, gain 0, family 0")
        XCTAssertEqual(try XCTUnwrap(OpusConfig(config: [], channels: 0)).dOps, opus.dOps, "unknown count means stereo")
    }

    func testDOpsFromOpusHeadMatchesFfmpeg() throws {
        let opus = try XCTUnwrap(OpusConfig(config: Mp4Vectors.opusHeadStereo, channels: 0))
        XCTAssertEqual(opus.dOps, Mp4Vectors.ffmpegDOpsStereo)
        XCTAssertEqual(try XCTUnwrap(OpusConfig(config: Array(opus.dOps.dropFirst(8)), channels: 0)), opus,
                       "a dOps payload is taken as is")
    }

    func testDOpsForSurround() throws {
        let fromHead = try XCTUnwrap(OpusConfig(config: Mp4Vectors.opusHead51, channels: 0))
        XCTAssertEqual(fromHead.dOps, h("0000001b 644f7073  00 06 0138 0000bb80 0000 01  04 02 000401020305"))
        let guessed = try XCTUnwrap(OpusConfig(config: [], channels: 6))
        XCTAssertEqual(Array(guessed.dOps.suffix(9)), h("01 04 02 000401020305"), "libopus's 5.1 layout")
        XCTAssertNil(OpusConfig(config: [], channels: 9))
    }

    func testOpusPacketDurationsFromTOC() {
        XCTAssertEqual(OpusConfig.packetDuration([0xFC, 1][...]), 960, "CELT 20 ms, one frame")
        XCTAssertEqual(OpusConfig.packetDuration([0x08][...]), 960, "SILK 20 ms")
        XCTAssertEqual(OpusConfig.packetDuration([0xE1][...]), 240, "CELT 2.5 ms, two frames")
        XCTAssertEqual(OpusConfig.packetDuration([0x1B, 0x02][...]), 5760, "SILK 60 ms x 2 = 120 ms")
        XCTAssertNil(OpusConfig.packetDuration([0x1B, 0x03][...]), "180 ms is over the 120 ms limit")
        XCTAssertNil(OpusConfig.packetDuration([0xFB][...]), "code 3 without its count byte")
        XCTAssertNil(OpusConfig.packetDuration([][...]))
    }

    func testCodecStrings() {
        XCTAssertEqual(Mp4CodecString.avc(Mp4Vectors.avcBaseline), "avc1.42C00D")
        XCTAssertEqual(Mp4CodecString.avc(Mp4Vectors.avcHigh), "avc1.64001E")
        // Main profile, compatibility 0x60000000 (reversed: 6), level 93, constraint byte 0xB0.
        XCTAssertEqual(Mp4CodecString.hevc(h("01 60000000 b00000000000 5d")), "hvc1.1.6.L93.B0")
        XCTAssertEqual(Mp4CodecString.hevc(h("22 40000000 000000000000 99")), "hvc1.2.2.H153")
        XCTAssertEqual(Mp4CodecString.hevc([1, 2]), "hvc1")
    }

    func testTimeConversionRoundsAndSaturates() {
        XCTAssertEqual(Mp4Time.ticks(40_000, timescale: 90000), 3600)
        XCTAssertEqual(Mp4Time.ticks(23_220, timescale: 44100), 1024, "23.22 ms is 1024.002 samples")
        XCTAssertEqual(Mp4Time.ticks(46_440, timescale: 44100), 2048)
        XCTAssertEqual(Mp4Time.ticks(-40_000, timescale: 90000), -3600)
        XCTAssertEqual(Mp4Time.ticks(Int64.max, timescale: 90000), 9_223_372_036_854 * 90000 + 69_823, "no overflow")
        XCTAssertEqual(Mp4Time.ticks(Int64.max, timescale: UInt32.max), Int64.max)
        XCTAssertEqual(Mp4Time.ticks(Int64.min, timescale: UInt32.max), Int64.min)
        XCTAssertEqual(Mp4Time.difference(Int64.min, 1), Int64.min)
        XCTAssertEqual(Mp4Time.difference(Int64.max, -1), Int64.max)
    }
}
