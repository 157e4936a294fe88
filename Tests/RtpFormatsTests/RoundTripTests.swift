import MediaFormats
import RtpFormats
import TestSupport
import XCTest

/// packetize -> bytes -> parse -> depacketize gives back every frame, at budgets from the smallest legal one up.
final class RoundTripTests: XCTestCase {
    private func roundTrip(_ codec: Codec, frames: [Frame], maxPayload: Int, channels: Int = 1, clockRate: Int = 90000,
                           file: StaticString = #filePath, line: UInt = #line) throws -> [RtpAccessUnit] {
        var p = try XCTUnwrap(RtpPacketizers.make(codec: codec, payloadType: 96, ssrc: 42, clockRate: clockRate, channels: channels,
                                                  maxPayload: maxPayload, firstSequence: 65000), file: file, line: line)
        let packets = packetize(&p, frames)
        if codec != .opus {
            for pk in packets {
                XCTAssertLessThanOrEqual(pk.count, RtpPacket.headerSize + maxPayload, "\(codec) budget \(maxPayload)", file: file, line: line)
            }
        }
        var d = try XCTUnwrap(RtpDepacketizers.make(codec: codec, clockRate: clockRate, channels: channels), file: file, line: line)
        return depacketize(&d, packets, file: file, line: line)
    }

    private func assertSameFrames(_ units: [RtpAccessUnit], _ frames: [Frame], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(units.count, frames.count, what, file: file, line: line)
        for (u, f) in zip(units, frames) {
            XCTAssertEqual(u.timestamp, f.timestamp, what, file: file, line: line)
            XCTAssertEqual(u.key, f.key, what, file: file, line: line)
            XCTAssertTrue(u.data == f.data, "\(what): \(u.data.count) vs \(f.data.count) bytes", file: file, line: line)
        }
    }

    /// A GOP: IDR with parameter sets, then P frames of one or several slices, sizes from tiny to several packets.
    static func h264Frames(_ rng: inout SplitMix64) -> [Frame] {
        func nal(_ header: UInt8, _ size: Int) -> ArraySlice<UInt8> { ([header, 0x80] + [UInt8].random(count: size - 2, using: &rng))[...] }
        var frames: [Frame] = []
        var ts: UInt32 = 0xFFFF_0000
        for i in 0..<6 {
            let nals: [ArraySlice<UInt8>] = i % 3 == 0
                ? [nal(0x67, 12), nal(0x68, 4), nal(0x06, 30), nal(0x65, [3000, 20, 9000][i / 3 % 3])]
                : [nal(0x41, [2, 700, 1401, 5][i % 4]), nal(0x01, 300)]
            frames.append(Frame(timestamp: ts, key: i % 3 == 0, data: NalUnits.lengthPrefixed(nals)))
            ts &+= 3000
        }
        return frames
    }

    static func h265Frames(_ rng: inout SplitMix64) -> [Frame] {
        func nal(_ type: UInt8, _ size: Int) -> ArraySlice<UInt8> { ([type << 1, 0x01, 0x80] + [UInt8].random(count: size - 3, using: &rng))[...] }
        var frames: [Frame] = []
        var ts: UInt32 = 0xFFFF_0000
        for i in 0..<6 {
            let nals: [ArraySlice<UInt8>] = i % 3 == 0
                ? [nal(32, 24), nal(33, 40), nal(34, 8), nal(39, 50), nal(i == 0 ? 19 : 21, [3000, 20][i / 3])]
                : [nal(1, [3, 700, 1401, 5][i % 4]), nal(1, 300)]
            frames.append(Frame(timestamp: ts, key: i % 3 == 0, data: NalUnits.lengthPrefixed(nals)))
            ts &+= 3000
        }
        return frames
    }

    func testH264AtManyBudgets() throws {
        var rng = SplitMix64(seed: 264)
        let frames = Self.h264Frames(&rng)
        for budget in [3, 4, 5, 17, 100, 1000, 1400, 9000, 100_000] {
            assertSameFrames(try roundTrip(.h264, frames: frames, maxPayload: budget), frames, "h264 budget \(budget)")
        }
    }

    func testH265AtManyBudgets() throws {
        var rng = SplitMix64(seed: 265)
        let frames = Self.h265Frames(&rng)
        for budget in [4, 5, 6, 17, 100, 1000, 1400, 9000, 100_000] {
            assertSameFrames(try roundTrip(.h265, frames: frames, maxPayload: budget), frames, "h265 budget \(budget)")
        }
    }

    func testAacAtManyBudgets() throws {
        var rng = SplitMix64(seed: 3640)
        var ts: UInt32 = 0xFFFF_FC00
        let frames = [1, 5, 6, 200, 1500, 8191].map { size -> Frame in
            defer { ts &+= 1024 }
            return Frame(timestamp: ts, key: true, data: .random(count: size, using: &rng))
        }
        for budget in [5, 6, 9, 100, 1400, 10_000] {
            assertSameFrames(try roundTrip(.aac, frames: frames, maxPayload: budget, clockRate: 48000), frames, "aac budget \(budget)")
        }
        // AU-size has 13 bits: a bigger frame is not sent at all rather than sent wrong.
        var p = try XCTUnwrap(AacRtpPacketizer(payloadType: 97, ssrc: 1))
        var count = 0
        p.packetize([UInt8](repeating: 0, count: 8192)[...], timestamp: 0) { _ in count += 1 }
        XCTAssertEqual(count, 0)
    }

    func testG711AtManyBudgets() throws {
        var rng = SplitMix64(seed: 711)
        for channels in [1, 2] {
            var ts: UInt32 = 0xFFFF_FF00
            let frames = [2, 160, 320, 1000].map { size -> Frame in
                defer { ts &+= UInt32(size / channels) }
                return Frame(timestamp: ts, key: true, data: .random(count: size, using: &rng))
            }
            for budget in [channels, 3, 160, 1400] {
                for codec in [Codec.pcma, .pcmu] {
                    let units = try roundTrip(codec, frames: frames, maxPayload: budget, channels: channels, clockRate: 8000)
                    // Units come per packet: joined, they are the frames; each sits at its first sample's time.
                    XCTAssertEqual(units.flatMap(\.data), frames.flatMap(\.data), "\(codec) x\(channels) budget \(budget)")
                    var expectedTs = frames[0].timestamp
                    for u in units {
                        XCTAssertEqual(u.timestamp, expectedTs)
                        XCTAssertEqual(u.data.count % channels, 0)
                        expectedTs &+= UInt32(u.data.count / channels)
                    }
                }
            }
        }
    }

    func testOpus() throws {
        var rng = SplitMix64(seed: 7587)
        var ts: UInt32 = 0xFFFF_FF00
        let frames = [1, 60, 1275, 3000].map { size -> Frame in
            defer { ts &+= 960 }
            return Frame(timestamp: ts, key: true, data: .random(count: size, using: &rng))
        }
        // Never fragmented, whatever the budget.
        assertSameFrames(try roundTrip(.opus, frames: frames, maxPayload: 100, clockRate: 48000), frames, "opus")
    }

    func testSequenceNumbersContinueAcrossFramesAndWrap() throws {
        var p = try XCTUnwrap(H264RtpPacketizer(payloadType: 96, ssrc: 7, maxPayload: 50, firstSequence: 65530))
        var sequences: [UInt16] = []
        for f in RtpVectors.named("h264-rfc6184").frames + RtpVectors.named("h264-ffmpeg").frames {
            p.packetize(f.data[...], timestamp: f.timestamp) { raw in
                let bytes = Array(raw)
                sequences.append(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
            }
        }
        XCTAssertEqual(sequences, (0..<sequences.count).map { 65530 &+ UInt16($0) })
        XCTAssertEqual(p.sequence, 65530 &+ UInt16(sequences.count))
        XCTAssertGreaterThan(sequences.count, 6)
    }

    /// Every packet is built in the packetizer's one scratch buffer: no allocation per packet.
    func testPacketsReuseOneScratchBuffer() throws {
        var rng = SplitMix64(seed: 1)
        for codec in [Codec.h264, .h265, .aac, .pcma, .opus] {
            var p = try XCTUnwrap(RtpPacketizers.make(codec: codec, payloadType: 96, ssrc: 1, clockRate: 90000, channels: 1))
            let sizes: [Int] = codec == .opus ? [1275, 10, 1275] : [1000, 3000, 2000, 5]
            var frames = sizes.enumerated().map { Frame(timestamp: UInt32($0.offset), key: true, data: .random(count: $0.element, using: &rng)) }
            if codec == .h264 { frames = Self.h264Frames(&rng) }
            if codec == .h265 { frames = Self.h265Frames(&rng) }
            var addresses = Set<UnsafeRawPointer>()
            var count = 0
            for f in frames {
                p.packetize(f.data[...], timestamp: f.timestamp) { raw in
                    if let base = raw.baseAddress { addresses.insert(base) }
                    count += 1
                }
            }
            XCTAssertGreaterThanOrEqual(count, frames.count, "\(codec)")
            XCTAssertEqual(addresses.count, 1, "\(codec)")
        }
    }

    func testFactoriesRefuseWhatTheyCannotDo() {
        XCTAssertNil(RtpPacketizers.make(codec: .mp3, payloadType: 96, ssrc: 1, clockRate: 90000, channels: 2))
        XCTAssertNil(RtpPacketizers.make(codec: .h264, payloadType: 96, ssrc: 1, clockRate: 90000, channels: 0, maxPayload: 2))
        XCTAssertNil(RtpPacketizers.make(codec: .h265, payloadType: 96, ssrc: 1, clockRate: 90000, channels: 0, maxPayload: 3))
        XCTAssertNil(RtpPacketizers.make(codec: .aac, payloadType: 96, ssrc: 1, clockRate: 48000, channels: 2, maxPayload: 4))
        XCTAssertNil(RtpPacketizers.make(codec: .pcma, payloadType: 8, ssrc: 1, clockRate: 8000, channels: 0))
        XCTAssertNil(RtpDepacketizers.make(codec: .mp3, clockRate: 90000, channels: 2))
        XCTAssertNil(RtpDepacketizers.make(codec: .aac, clockRate: 48000, channels: 2, latmStreamMuxConfig: [0x80]))
    }
}
