import TestSupport
import XCTest
@testable import MediaFormats

final class AMFTests: XCTestCase {
    /// The `connect` command body ffmpeg 5.1 sends (captured on the wire, chunk header removed).
    static let ffmpegConnect = Vectors.hex("020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e707269766174650008666c617368566572020024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e302e313a31393933352f6c697665000009")

    func testDecodesFfmpegConnect() throws {
        var d = AMFDecoder(Self.ffmpegConnect)
        let values = try d.decodeAll()
        XCTAssertEqual(values.count, 3)
        XCTAssertEqual(values[0], .string("connect"))
        XCTAssertEqual(values[1], .number(1))
        XCTAssertEqual(values[2]["app"], .string("live"))
        XCTAssertEqual(values[2]["tcUrl"], .string("rtmp://127.0.0.1:19935/live"))
        XCTAssertEqual(values[2]["flashVer"]?.string?.hasPrefix("FMLE/3.0"), true)
    }

    func testRoundTripOfEveryAMF0Type() throws {
        let values: [AMFValue] = [
            .number(3.5), .bool(true), .string("héllo"), .null, .undefined,
            .object([AMFPair("a", .number(1)), AMFPair("b", .object([AMFPair("c", .string("d"))]))]),
            .ecmaArray([AMFPair("duration", .number(0))]), .strictArray([.number(1), .string("x")]), .date(1000),
            .string(String(repeating: "z", count: 70_000)),
        ]
        var d = AMFDecoder(AMF0Encoder.encode(values))
        XCTAssertEqual(try d.decodeAll(), values)
    }

    func testFlvMetadataFromFfmpegDecodes() throws {
        var d = AMFDecoder(Vectors.metadataPrefix)
        XCTAssertEqual(try d.decode(), .string("onMetaData"))
        // The prefix stops inside the ECMA array: truncation must be an error, not a crash.
        XCTAssertThrowsError(try d.decode())
        var ours = AMFDecoder(FlvMetadata.body({ var i = FlvMetadata.Info(); i.videoCodec = .h264; i.width = 320; i.height = 240; return i }()))
        XCTAssertEqual(try ours.decode(), .string("onMetaData"))
        XCTAssertEqual(try ours.decode()["width"], .number(320))
    }

    func testAMF3ObjectBehindSwitchMarker() throws {
        // 0x11 switch, AMF3 object: dynamic anonymous (0x0b), class name "" (0x01), member "app" = "live",
        // member "n" = integer 5, end (0x01); then an AMF3 string reference to "app" (0x00).
        let bytes: [UInt8] = [0x11, 0x0A, 0x0B, 0x01, 0x07] + Array("app".utf8) + [0x06, 0x09] + Array("live".utf8)
            + [0x03] + Array("n".utf8) + [0x04, 0x05, 0x01]
        var d = AMFDecoder(bytes)
        XCTAssertEqual(try d.decode(), .object([AMFPair("app", .string("live")), AMFPair("n", .number(5))]))
    }

    func testMalformedInputIsAnErrorNeverACrash() {
        let bad: [[UInt8]] = [[0x02, 0x00, 0x05, 0x61], [0x03, 0x00, 0x01, 0x61], [0x0A, 0xFF, 0xFF, 0xFF, 0xFF], [0x42],
                              Array(repeating: 0x03, count: 100) + [0x00, 0x01, 0x61], [0x11, 0x0A, 0x02]]
        for b in bad {
            var d = AMFDecoder(b)
            XCTAssertThrowsError(try d.decodeAll(), "\(b.prefix(8))")
        }
        // Randomized inputs seeded from a real message: never crash, always end.
        var rng = SplitMix64(seed: 42)
        for _ in 0..<5000 {
            var m = Self.ffmpegConnect
            for _ in 0..<Int(rng.next() % 6) { m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            m = Array(m.prefix(Int(rng.next() % UInt64(m.count + 1))))
            var d = AMFDecoder(m)
            _ = try? d.decodeAll()
        }
    }
}

