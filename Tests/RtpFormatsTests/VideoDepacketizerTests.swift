import MediaFormats
import RtpFormats
import TestSupport
import XCTest

/// Loss, broken fragmentation, hostile sizes and garbage against the H.264 / H.265 depacketizers.
final class VideoDepacketizerTests: XCTestCase {
    private func packet(_ payload: [UInt8], ts: UInt32, seq: UInt16 = 0, marker: Bool = false) -> RtpPacket {
        RtpPacket(marker: marker, payloadType: 96, sequence: seq, timestamp: ts, ssrc: 1, payload: payload[...])
    }

    private func parsed(_ v: RtpVector) -> [RtpPacket] { v.packets.compactMap { RtpPacket($0[...]) } }

    /// The ffmpeg H.264 stream: 0 STAP-A (SPS, PPS) + 1-4 FU-A (IDR) | 5 P | 6 P | 7 STAP-A + 8-10 FU-A (IDR).
    private func h264(dropping lostIndex: Int) -> [RtpAccessUnit] {
        var d = H264RtpDepacketizer()
        var units: [RtpAccessUnit] = []
        for (i, p) in parsed(RtpVectors.named("h264-ffmpeg")).enumerated() {
            if i == lostIndex { d.lost(); continue }
            units += d.push(p)
        }
        return units
    }

    func testLossInsideAUnitDropsOnlyThatUnit() {
        let frames = RtpVectors.named("h264-ffmpeg").frames
        let units = h264(dropping: 2)
        XCTAssertEqual(units.map(\.timestamp), frames[1...].map(\.timestamp))
        XCTAssertEqual(units.map(\.data), frames[1...].map(\.data))
    }

    func testAUnitWhoseFirstPacketWasLostIsKeptWhenItStillStartsAPicture() {
        let frames = RtpVectors.named("h264-ffmpeg").frames
        // A whole P frame lost: the next one begins with a first slice, so it is whole and kept.
        XCTAssertEqual(h264(dropping: 5).map(\.timestamp), [frames[0], frames[2], frames[3]].map(\.timestamp))
        // The parameter sets ahead of an IDR lost: the IDR slice itself is whole (first_mb_in_slice 0), kept.
        let units = h264(dropping: 7)
        XCTAssertEqual(units.count, 4)
        XCTAssertEqual(units.last?.key, true)
        XCTAssertEqual(units.last.flatMap { NalUnits.splitLengthPrefixed($0.data[...]) }?.count, 1)
    }

    func testAUnitJoinedMidwayIsDropped() {
        // Starting at a middle FU-A fragment (as when joining a stream late): that unit is dropped, the next kept.
        var d = H264RtpDepacketizer()
        let packets = parsed(RtpVectors.named("h264-ffmpeg"))
        let units = packets[2...].flatMap { d.push($0) }
        XCTAssertEqual(units.map(\.timestamp), RtpVectors.named("h264-ffmpeg").frames[1...].map(\.timestamp))
        XCTAssertEqual(d.droppedUnits, 1)
    }

    func testFragmentThatNeverEndsIsDropped() {
        var d = H264RtpDepacketizer()
        // FU-A start, middle, then a new start in the same unit: the first NAL unit never ended.
        XCTAssertEqual(d.push(packet([0x7C, 0x85, 0x88, 1, 2], ts: 100)), [])
        XCTAssertEqual(d.push(packet([0x7C, 0x05, 3, 4], ts: 100)), [])
        XCTAssertEqual(d.push(packet([0x7C, 0x85, 0x88, 5], ts: 100)), [])
        XCTAssertEqual(d.push(packet([0x7C, 0x45, 6], ts: 100, marker: true)), [])
        XCTAssertEqual(d.droppedUnits, 1)
        // A start without end, then the next timestamp: dropped when the timestamp moves on.
        XCTAssertEqual(d.push(packet([0x7C, 0x85, 0x88, 1], ts: 200)), [])
        XCTAssertEqual(d.push(packet([0x65, 0x88, 9], ts: 300, marker: true)).map(\.timestamp), [300])
        XCTAssertEqual(d.droppedUnits, 2)
        // An end with no start (its start was lost without a reported gap).
        XCTAssertEqual(d.push(packet([0x7C, 0x45, 6], ts: 400, marker: true)), [])
        XCTAssertEqual(d.droppedUnits, 3)
        XCTAssertEqual(d.push(packet([0x41, 0x9A, 1], ts: 500, marker: true)).map(\.data), [[0, 0, 0, 3, 0x41, 0x9A, 1]])
    }

    func testUnitCompletesOnTimestampChangeWithoutMarker() {
        var d = H265RtpDepacketizer()
        XCTAssertEqual(d.push(packet([0x02, 0x01, 0x80, 7], ts: 1)), [])
        let units = d.push(packet([0x02, 0x01, 0x80, 8], ts: 2))
        XCTAssertEqual(units, [RtpAccessUnit(timestamp: 1, key: false, data: [0, 0, 0, 4, 0x02, 0x01, 0x80, 7])])
    }

    func testOversizedUnitIsDroppedWithMemoryBounded() {
        var d = H264RtpDepacketizer()
        let middle = [0x7C, 0x05] + [UInt8](repeating: 0xAB, count: 1400)
        _ = d.push(packet([0x7C, 0x85, 0x88], ts: 9))
        var peak = 0
        for _ in 0..<6100 {   // 8.5 MB in one unit
            XCTAssertEqual(d.push(packet(middle, ts: 9)), [])
            peak = max(peak, d.bufferedBytes)
        }
        XCTAssertLessThanOrEqual(peak, 8 << 20)
        XCTAssertEqual(d.bufferedBytes, 0, "the damaged unit's bytes are released at once")
        XCTAssertEqual(d.push(packet([0x7C, 0x45, 1], ts: 9, marker: true)), [])
        XCTAssertEqual(d.droppedUnits, 1)
        XCTAssertEqual(d.push(packet([0x65, 0x88, 1], ts: 10, marker: true)).count, 1)
    }

    func testInterleavedModeAndReservedTypesAreCountedNotCrashed() {
        var d = H264RtpDepacketizer()
        for type: UInt8 in [0, 25, 26, 27, 29, 30, 31] {
            XCTAssertEqual(d.push(packet([type, 1, 2, 3, 4, 5, 6], ts: 1)), [])
        }
        XCTAssertEqual(d.unsupportedPackets, 7)
        var h = H265RtpDepacketizer()
        for type: UInt8 in [50, 51, 63] {
            XCTAssertEqual(h.push(packet([type << 1, 1, 2, 3, 4], ts: 1)), [])
        }
        XCTAssertEqual(h.unsupportedPackets, 3)
    }

    func testMalformedAggregationDamagesTheUnit() {
        var d = H264RtpDepacketizer()
        // STAP-A whose second size runs past the end.
        XCTAssertEqual(d.push(packet([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x09, 0x68], ts: 1, marker: true)), [])
        XCTAssertEqual(d.malformedPackets, 1)
        var h = H265RtpDepacketizer()
        XCTAssertEqual(h.push(packet([0x60, 0x01, 0x00, 0x01, 0x40], ts: 1, marker: true)), [], "AP unit shorter than a NAL header")
        XCTAssertEqual(h.push(packet([0x62, 0x01], ts: 2, marker: true)), [], "FU without its FU header")
        XCTAssertEqual(h.malformedPackets, 2)
    }

    func testRandomGarbageNeverTrapsAndOutputStaysWellFormed() {
        var rng = SplitMix64(seed: 0xBAD)
        var h264 = H264RtpDepacketizer()
        var h265 = H265RtpDepacketizer()
        for i in 0..<4000 {
            var payload = [UInt8].random(count: Int.random(in: 0..<200, using: &rng), using: &rng)
            // Bias towards the packet kinds with structure so fragments and aggregates are really exercised.
            if payload.count > 2 && Bool.random(using: &rng) {
                payload[0] = [0x78, 0x7C, 0x5C, 0x65][Int.random(in: 0..<4, using: &rng)]
            }
            let p = packet(payload, ts: UInt32.random(in: 0..<4, using: &rng), seq: UInt16(truncatingIfNeeded: i), marker: Int.random(in: 0..<5, using: &rng) == 0)
            var h265Payload = payload
            if h265Payload.count > 3 && Bool.random(using: &rng) { h265Payload[0] = [0x60, 0x62, 0x26, 0x02][Int.random(in: 0..<4, using: &rng)] }
            let q = packet(h265Payload, ts: p.timestamp, seq: p.sequence, marker: p.marker)
            if i % 97 == 0 { h264.lost(); h265.lost() }
            for u in h264.push(p) + h265.push(q) {
                XCTAssertNotNil(NalUnits.splitLengthPrefixed(u.data[...]))
                XCTAssertFalse(u.data.isEmpty)
            }
            XCTAssertLessThanOrEqual(h264.bufferedBytes, 8 << 20)
            XCTAssertLessThanOrEqual(h265.bufferedBytes, 8 << 20)
        }
        XCTAssertLessThanOrEqual(h264.takeParameterSets().count, 16)
    }

    func testChangedParameterSetsAreReportedAgain() {
        var d = H264RtpDepacketizer()
        let sps1: [UInt8] = [0x67, 0x42, 0x00, 0x1E], sps2: [UInt8] = [0x67, 0x42, 0x00, 0x1F], pps: [UInt8] = [0x68, 0xCE]
        func idr(_ sps: [UInt8], ts: UInt32) -> [RtpAccessUnit] {
            let stap: [UInt8] = [0x78, 0, UInt8(sps.count)] + sps + [0, 2] + pps + [0, 3, 0x65, 0x88, 0]
            return d.push(packet(stap, ts: ts, marker: true))
        }
        XCTAssertEqual(idr(sps1, ts: 1).first?.key, true)
        XCTAssertEqual(d.takeParameterSets(), [sps1, pps])
        _ = idr(sps1, ts: 2)
        XCTAssertEqual(d.takeParameterSets(), [])
        _ = idr(sps2, ts: 3)
        XCTAssertEqual(d.takeParameterSets(), [sps2])
    }

    func testStartAndEndInOneFragmentIsAcceptedAsAWholeNalUnit() {
        var d = H265RtpDepacketizer()
        // RFC 7798 forbids S and E together; the NAL unit (IDR_W_RADL) is still whole, so it is kept.
        let units = d.push(packet([0x62, 0x01, 0xD3, 0xAF, 0x01], ts: 5, marker: true))
        XCTAssertEqual(units, [RtpAccessUnit(timestamp: 5, key: true, data: [0, 0, 0, 4, 0x26, 0x01, 0xAF, 0x01])])
    }
}
