import MediaFormats
import RtpFormats
import XCTest

/// Every vector of the shared table, both directions.
final class RtpVectorTests: XCTestCase {
    func testPacketizersProduceTheVectorPackets() throws {
        for v in RtpVectors.all where v.direction == .both {
            var p = try XCTUnwrap(v.makePacketizer(), v.name)
            let packets = packetize(&p, v.frames)
            let expected = v.expectedPacketizerOutput
            XCTAssertEqual(packets.count, expected.count, v.name)
            for (i, (got, want)) in zip(packets, expected).enumerated() {
                XCTAssertEqual(hexString(got), hexString(want), "\(v.name) packet \(i)")
            }
            XCTAssertEqual(p.sequence, v.firstSequence &+ UInt16(expected.count), v.name)
            XCTAssertEqual(p.payloadType, v.payloadType, v.name)
            XCTAssertEqual(p.ssrc, v.ssrc, v.name)
        }
    }

    func testDepacketizersRebuildTheVectorFrames() throws {
        for v in RtpVectors.all {
            var d = try XCTUnwrap(v.makeDepacketizer(), v.name)
            let units = depacketize(&d, v.packets)
            let expected = v.expectedUnits
            XCTAssertEqual(units.count, expected.count, v.name)
            for (i, (got, want)) in zip(units, expected).enumerated() {
                XCTAssertEqual(got.timestamp, want.timestamp, "\(v.name) unit \(i)")
                XCTAssertEqual(got.key, want.key, "\(v.name) unit \(i)")
                XCTAssertEqual(hexString(got.data), hexString(want.data), "\(v.name) unit \(i)")
            }
        }
    }

    func testParameterSetsAreReportedOnceWhenTheyChange() throws {
        let v = RtpVectors.named("h264-ffmpeg")
        var d = try XCTUnwrap(v.makeDepacketizer())
        _ = depacketize(&d, v.packets)
        let first = try XCTUnwrap(NalUnits.splitLengthPrefixed(v.frames[0].data[...]))
        // The second IDR repeats the same SPS and PPS: reported once, and still in both access units.
        XCTAssertEqual(d.takeParameterSets(), [Array(first[0]), Array(first[1])])
        XCTAssertEqual(d.takeParameterSets(), [])
        let config = AVCDecoderConfig(sps: [Array(first[0])], pps: [Array(first[1])])
        XCTAssertEqual(config.parsedSPS?.width, 64)
        XCTAssertEqual(config.parsedSPS?.height, 48)

        let hevc = RtpVectors.named("h265-ffmpeg")
        var h = try XCTUnwrap(hevc.makeDepacketizer())
        _ = depacketize(&h, hevc.packets)
        let sets = h.takeParameterSets()
        XCTAssertEqual(sets.map { NalUnits.h265Type($0[...]) }, [32, 33, 34])
        let record = try XCTUnwrap(HEVCDecoderConfig(vps: sets[0], sps: sets[1], pps: sets[2]))
        XCTAssertEqual(record.dimensions?.width, 64)
        XCTAssertEqual(record.dimensions?.height, 48)
    }

    /// Every prefix of every vector packet goes through the parser and a depacketizer without trapping, and the
    /// depacketizer still rebuilds the real stream afterwards.
    func testTruncatedPacketsAtEveryLength() throws {
        for v in RtpVectors.all {
            var d = try XCTUnwrap(v.makeDepacketizer(), v.name)
            for bytes in v.packets {
                for n in 0..<bytes.count {
                    if let p = RtpPacket(bytes.prefix(n)) { _ = d.push(p) }
                }
            }
            d.lost()
            var fresh = try XCTUnwrap(v.makeDepacketizer(), v.name)
            XCTAssertEqual(depacketize(&d, v.packets).map(\.data).last, depacketize(&fresh, v.packets).map(\.data).last, v.name)
        }
    }

    func testTruncatedFramesAtEveryLength() throws {
        for v in RtpVectors.all where v.direction == .both {
            var p = try XCTUnwrap(v.makePacketizer(), v.name)
            for f in v.frames {
                for n in 0...f.data.count {
                    p.packetize(f.data.prefix(n), timestamp: f.timestamp) { XCTAssertGreaterThanOrEqual($0.count, RtpPacket.headerSize) }
                }
            }
        }
    }
}
