import XCTest
@testable import MediaFormats

final class CodecConfigTests: XCTestCase {
    func testAVCConfigFromFfmpeg() throws {
        let c = try XCTUnwrap(AVCDecoderConfig(Vectors.avcConfig[...]))
        XCTAssertEqual(c.sps, [Vectors.sps])
        XCTAssertEqual(c.pps, [Vectors.pps])
        XCTAssertEqual(c.lengthSize, 4)
        XCTAssertEqual(c.encode(), Vectors.avcConfig, "re-encoding gives the same bytes")
        let sps = try XCTUnwrap(c.parsedSPS)
        XCTAssertEqual(sps.width, 320)
        XCTAssertEqual(sps.height, 240)
        XCTAssertEqual(sps.profile, 66)
        XCTAssertEqual(sps.level, 13)
    }

    func testAVCConfigTruncationIsRefusedAtEveryLength() {
        for n in 0..<Vectors.avcConfig.count {
            XCTAssertNil(AVCDecoderConfig(Vectors.avcConfig.prefix(n)), "accepted \(n) bytes")
        }
    }

    func testSPSGarbageDoesNotCrash() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = [UInt8(0x67)] + (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = H264SPS(nal: bytes[...])
        }
    }

    func testHEVCConfigFromX265() throws {
        let c = try XCTUnwrap(HEVCDecoderConfig(Vectors.hevcConfig[...]))
        XCTAssertEqual(c.vps.count, 1)
        XCTAssertEqual(c.sps.count, 1)
        XCTAssertEqual(c.pps.count, 1)
        XCTAssertEqual(c.vps[0].count, 23)
        XCTAssertEqual(c.sps[0].count, 43)
        XCTAssertEqual(c.lengthSize, 4)
        XCTAssertEqual(c.dimensions?.width, 320)
        XCTAssertEqual(c.dimensions?.height, 240)
        let again = try XCTUnwrap(HEVCDecoderConfig(c.encode()[...]))
        XCTAssertEqual(again.sps, c.sps)
        XCTAssertEqual(again.profileBytes, c.profileBytes)
        let fromSets = try XCTUnwrap(HEVCDecoderConfig(vps: c.vps[0], sps: c.sps[0], pps: c.pps[0]))
        XCTAssertEqual(fromSets.profileBytes, c.profileBytes, "profile fields are copied from the SPS")
        for n in 0..<Vectors.hevcConfig.count { XCTAssertNil(HEVCDecoderConfig(Vectors.hevcConfig.prefix(n))) }
    }

    func testAudioSpecificConfigFromFfmpeg() throws {
        let asc = try XCTUnwrap(AudioSpecificConfig(Vectors.aacSequenceHeaderTag.dropFirst(2)))
        XCTAssertEqual(asc.objectType, 2)
        XCTAssertEqual(asc.sampleRate, 44100)
        XCTAssertEqual(asc.channels, 1)
        XCTAssertEqual(asc.bytes, [0x12, 0x08, 0x56, 0xE5, 0x00], "extensions are kept as sent")
        let built = try XCTUnwrap(AudioSpecificConfig(objectType: 2, sampleRate: 48000, channels: 2))
        XCTAssertEqual(built.bytes, [0x11, 0x90])
        // ADTS for a 100-byte AAC-LC 48 kHz stereo frame (ISO/IEC 13818-7 6.2.1).
        XCTAssertEqual(built.adtsHeader(payloadLength: 100), [0xFF, 0xF1, 0x4C, 0x80, 0x0D, 0x7F, 0xFC])
        XCTAssertNil(AudioSpecificConfig([0x12][...]))
        XCTAssertNil(AudioSpecificConfig([0x17, 0x80][...]), "sample rate index 14 is reserved")
    }

    func testNalFraming() throws {
        let au = NalUnits.lengthPrefixed([Vectors.sps[...], Vectors.pps[...]])
        XCTAssertEqual(au.count, 8 + Vectors.sps.count + Vectors.pps.count)
        let split = try XCTUnwrap(NalUnits.splitLengthPrefixed(au[...]))
        XCTAssertEqual(split.map(Array.init), [Vectors.sps, Vectors.pps])
        XCTAssertNil(NalUnits.splitLengthPrefixed(au.dropLast()[...]), "a length past the end is refused")
        let annexB: [UInt8] = [0, 0, 0, 1] + Vectors.sps + [0, 0, 1] + Vectors.pps + [0, 0]
        XCTAssertEqual(NalUnits.splitAnnexB(annexB[...]).map(Array.init), [Vectors.sps, Vectors.pps])
        XCTAssertEqual(NalUnits.normalize([0, 2, 0x65, 0x88][...], from: 2), [0, 0, 0, 2, 0x65, 0x88])
        XCTAssertEqual(removeEmulationPrevention([0, 0, 3, 1, 0, 0, 3][...]), [0, 0, 1, 0, 0])
    }

    /// FuzzCodecConfig's finding: a scaling-list delta far outside -128...127 overflowed Int32 and trapped.
    func testSpsWithAnAbsurdScalingListDeltaIsRefusedNotATrap() throws {
        let input = try XCTUnwrap(Data(base64Encoded: "A2dTdHL///8AAP8AAAAAAP///6ZCwARSdFVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVCxwQAACAB"))
        XCTAssertNil(H264SPS(nal: Array(input.dropFirst())[...]))
    }
}
