import XCTest
@testable import MediaFormats

final class FlvTagTests: XCTestCase {
    func testParsesFfmpegVideoAndAudioConfig() throws {
        XCTAssertEqual(try FlvVideoTag.parse(Vectors.avcSequenceHeaderTag[...]), .config(.h264, Vectors.avcConfig[...]))
        XCTAssertEqual(try FlvAudioTag.parse(Vectors.aacSequenceHeaderTag[...]),
                       .config(.aac, Vectors.aacSequenceHeaderTag.dropFirst(2)))
    }

    func testLegacyAndEnhancedFramesRoundTrip() throws {
        let nal: [UInt8] = [0, 0, 0, 2, 0x65, 0x88]
        for (codec, legacy) in [(Codec.h264, false), (.h265, false), (.h265, true)] {
            let body = FlvVideoTag.framePrefix(codec, key: true, compositionMs: -40, legacyHEVC: legacy) + nal
            XCTAssertEqual(try FlvVideoTag.parse(body[...]), .frame(codec, key: true, compositionMs: -40, data: nal[...]))
            let cfg = FlvVideoTag.configPrefix(codec, legacyHEVC: legacy) + [1, 2, 3]
            XCTAssertEqual(try FlvVideoTag.parse(cfg[...]), .config(codec, [1, 2, 3][...]))
        }
        // Enhanced RTMP spec: hvc1 key frame, CodedFrames = 0x91 'hvc1' + SI24 composition time.
        XCTAssertEqual(FlvVideoTag.framePrefix(.h265, key: true, compositionMs: 80), [0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 80])
        XCTAssertEqual(try FlvVideoTag.parse([0x93, 0x61, 0x76, 0x30, 0x31, 9][...]), .frame(.av1, key: true, compositionMs: 0, data: [9][...]))
        XCTAssertEqual(try FlvVideoTag.parse([0x92, 0x68, 0x76, 0x63, 0x31][...]), .endOfSequence(.h265))
        if case .ignored = try FlvVideoTag.parse([0x22, 0][...]) {} else { XCTFail("Sorenson H.263 is not carried") }
        XCTAssertThrowsError(try FlvVideoTag.parse([0x17, 0][...]))
        XCTAssertThrowsError(try FlvVideoTag.parse([][...]))
    }

    func testAudioPrefixes() throws {
        XCTAssertEqual(try FlvAudioTag.parse([0x72, 1, 2][...]), .frame(.pcma, channels: 1, sampleRate: 8000, data: [1, 2][...]))
        XCTAssertEqual(try FlvAudioTag.parse([0x82, 1][...]), .frame(.pcmu, channels: 1, sampleRate: 8000, data: [1][...]))
        XCTAssertEqual(try FlvAudioTag.parse((FlvAudioTag.prefix(.aac, channels: 2, config: false) + [7])[...]),
                       .frame(.aac, channels: 2, sampleRate: 44100, data: [7][...]))
        XCTAssertEqual(try FlvAudioTag.parse((FlvAudioTag.prefix(.opus, channels: 2, config: true) + [1])[...]), .config(.opus, [1][...]))
    }

    func testTagFramingAgainstAnFfmpegFile() throws {
        let header = FlvFraming.fileHeader(audio: true, video: true)
        XCTAssertEqual(header, Vectors.hex("464c5601050000000900000000"), "the bytes ffmpeg writes")
        let tag = FlvFraming.tag(type: .video, timestampMs: 0x0123_4567, body: Vectors.avcSequenceHeaderTag[...])
        let parsed = try XCTUnwrap(FlvFraming.parseTags(tag[...]))
        XCTAssertEqual(parsed.consumed, tag.count)
        XCTAssertEqual(parsed.tags, [FlvFraming.ParsedTag(type: 9, timestampMs: 0x0123_4567, body: Vectors.avcSequenceHeaderTag[...])])
        XCTAssertEqual(Array(tag.suffix(4)), [0, 0, 0, UInt8(11 + Vectors.avcSequenceHeaderTag.count)])
        XCTAssertEqual(FlvFraming.parseTags(tag.dropLast()[...])?.tags.count, 0, "an incomplete tag waits for more")
    }

    /// HTTP-FLV arrives in any chunking: the header and each tag come out once complete, whatever the cut.
    func testStreamReaderInAnyChunkingAndItsBounds() throws {
        let tags = [FlvFraming.tag(type: .script, timestampMs: 0, body: [2, 0, 0][...]),
                    FlvFraming.tag(type: .video, timestampMs: 40, body: Vectors.avcSequenceHeaderTag[...]),
                    FlvFraming.tag(type: .audio, timestampMs: 0x0100_0000, body: [0xAF, 1, 9][...])]
        let stream = FlvFraming.fileHeader(audio: true, video: true) + tags.joined()
        for step in [1, 2, 7, 13, stream.count] {
            var reader = FlvStreamReader()
            var out: [FlvFraming.ParsedTag] = []
            var i = 0
            while i < stream.count {
                out += try reader.push(stream[i..<min(stream.count, i + step)])
                i += step
            }
            XCTAssertEqual(out.map(\.type), [18, 9, 8], "step \(step)")
            XCTAssertEqual(out.map(\.timestampMs), [0, 40, 0x0100_0000])
            XCTAssertEqual(Array(out[1].body), Vectors.avcSequenceHeaderTag)
        }
        var notFlv = FlvStreamReader()
        XCTAssertThrowsError(try notFlv.push(Array("HTTP".utf8)))
        var small = FlvStreamReader(maxTagBytes: 4)
        XCTAssertEqual(try small.push(FlvFraming.fileHeader(audio: true, video: false)).count, 0)
        XCTAssertThrowsError(try small.push(FlvFraming.tagHeader(type: .audio, dataSize: 5, timestampMs: 0) + [0, 0, 0, 0]),
                             "a tag over the limit is refused before its body arrives")
    }
}
