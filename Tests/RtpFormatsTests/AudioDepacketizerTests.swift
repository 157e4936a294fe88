import MediaFormats
import RtpFormats
import TestSupport
import XCTest

/// RFC 3640 and RFC 6416 specifics: several AUs per packet, fragments, loss, hostile headers, StreamMuxConfig.
final class AudioDepacketizerTests: XCTestCase {
    private func packet(_ payload: [UInt8], ts: UInt32, seq: UInt16 = 0, marker: Bool = true) -> RtpPacket {
        RtpPacket(marker: marker, payloadType: 97, sequence: seq, timestamp: ts, ssrc: 1, payload: payload[...])
    }

    // MARK: RFC 3640

    func testSeveralAusInOnePacketGetConsecutiveTimestamps() throws {
        var d = try XCTUnwrap(AacRtpDepacketizer())
        // AU-headers-length 48: sizes 2, 1, 3 (AU-Index 0, then AU-Index-delta 0).
        let units = d.push(packet(RtpVectors.h("0030 0010 0008 0018  aabb cc ddeeff"), ts: 0xFFFF_FC00))
        XCTAssertEqual(units, [
            RtpAccessUnit(timestamp: 0xFFFF_FC00, key: true, data: [0xAA, 0xBB]),
            RtpAccessUnit(timestamp: 0, key: true, data: [0xCC]),
            RtpAccessUnit(timestamp: 0x400, key: true, data: [0xDD, 0xEE, 0xFF]),
        ])
    }

    func testAacLbrHeaders() throws {
        // AAC-lbr: sizelength 6, indexlength 2, indexdeltalength 2: one byte per AU header.
        var d = try XCTUnwrap(AacRtpDepacketizer(sizeLength: 6, indexLength: 2, indexDeltaLength: 2, frameDuration: 2048))
        let units = d.push(packet([0x00, 0x10, 2 << 2, 1 << 2, 0xA1, 0xA2, 0xB1], ts: 0))
        XCTAssertEqual(units.map(\.data), [[0xA1, 0xA2], [0xB1]])
        XCTAssertEqual(units.map(\.timestamp), [0, 2048])
    }

    func testAusThatOverrunThePacketAreDroppedTheOthersKept() throws {
        var d = try XCTUnwrap(AacRtpDepacketizer())
        let units = d.push(packet(RtpVectors.h("0020 0010 0028  aabb cc"), ts: 0))
        XCTAssertEqual(units.map(\.data), [[0xAA, 0xBB]])
        XCTAssertEqual(d.droppedFrames, 1)
        XCTAssertEqual(d.push(packet(RtpVectors.h("ffff 0010"), ts: 0)), [], "header section longer than the packet")
        XCTAssertEqual(d.push(packet(RtpVectors.h("0000 aabb"), ts: 0)), [], "no AU header")
        XCTAssertEqual(d.push(packet(RtpVectors.h("00"), ts: 0)), [])
        XCTAssertEqual(d.malformedPackets, 3)
    }

    func testFragmentsLostOrUnfinishedNeverMakeAFrame() throws {
        let v = RtpVectors.named("aac-ffmpeg-fragmented")
        let packets = v.packets.compactMap { RtpPacket($0[...]) }
        // Losing a first fragment: its second half alone must not pass for a frame.
        var d = try XCTUnwrap(AacRtpDepacketizer())
        var units: [RtpAccessUnit] = []
        for (i, p) in packets.enumerated() {
            if i == 2 { d.lost(); continue }
            units += d.push(p)
        }
        XCTAssertEqual(units.map(\.data), [v.frames[0].data, v.frames[2].data])
        // A first fragment followed by another AU's first fragment: the unfinished one is dropped.
        var e = try XCTUnwrap(AacRtpDepacketizer())
        XCTAssertEqual(e.push(packets[0]), [])
        XCTAssertEqual(e.push(packets[2]), [])
        XCTAssertEqual(e.droppedFrames, 1)
        XCTAssertEqual(e.push(packets[3]).map(\.data), [v.frames[1].data])
        XCTAssertEqual(e.bufferedBytes, 0)
    }

    // MARK: RFC 6416

    /// Builds MP4A-LATM packets the way RFC 6416 describes, for the depacketizer tests (the library only receives).
    private func latmPackets(_ elements: [[[UInt8]]], ts: UInt32, duration: UInt32, maxPayload: Int) -> [RtpPacket] {
        var out: [RtpPacket] = []
        var seq: UInt16 = 0
        for (k, frames) in elements.enumerated() {
            var element: [UInt8] = []
            for f in frames {
                var n = f.count
                while n >= 255 { element.append(255); n -= 255 }
                element.append(UInt8(n))
                element += f
            }
            var i = 0
            while i < element.count {
                let end = min(i + maxPayload, element.count)
                out.append(RtpPacket(marker: end == element.count, payloadType: 96, sequence: seq, timestamp: ts &+ UInt32(k) &* duration,
                                     ssrc: 1, payload: element[i..<end]))
                seq &+= 1
                i = end
            }
        }
        return out
    }

    func testStreamMuxConfigs() throws {
        let ffmpeg = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("400028103fc0")))
        XCTAssertEqual(ffmpeg.audioSpecificConfig.objectType, 2)
        XCTAssertEqual(ffmpeg.audioSpecificConfig.sampleRate, 16000)
        XCTAssertEqual(ffmpeg.audioSpecificConfig.channels, 1)
        XCTAssertEqual(ffmpeg.audioSpecificConfig.bytes, [0x14, 0x08], "the same ASC as ffmpeg's mpeg4-generic config= starts with")
        XCTAssertEqual(ffmpeg.subFrames, 1)
        let hand = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("400023203fc0")))
        XCTAssertEqual(hand.audioSpecificConfig.sampleRate, 48000)
        XCTAssertEqual(hand.audioSpecificConfig.channels, 2)
        XCTAssertEqual(try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("410023203fc0"))).subFrames, 2)
        // HE-AAC with explicit SBR signalling (object type 5, 24 kHz core, 48 kHz extension, then AAC-LC).
        // bits: 0 1 000000 0000 000 | 00101 0110 0010 0011 00010 000 | 000 11111111 0 0
        let sbr = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("40005623101fe0")))
        XCTAssertEqual(sbr.audioSpecificConfig.objectType, 5)
        XCTAssertEqual(sbr.audioSpecificConfig.sampleRate, 24000)
        // Cut before frameLengthType: refused. Cut after it: taken, as GStreamer's rtpmp4apay sends it.
        for config in [RtpVectors.h("400028103fc0"), RtpVectors.h("400023203fc0")] {
            for n in 0..<4 { XCTAssertNil(LatmStreamMuxConfig(Array(config.prefix(n))), "\(n) bytes") }
            XCTAssertNotNil(LatmStreamMuxConfig(Array(config.prefix(5))))
        }
        // From GStreamer 1.22 (avenc_aac ! rtpmp4apay): the ASC carries FFmpeg's SBR sync extension (0x2B7) and
        // the config stops right after frameLengthType.
        let gst = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("40002410adca00")))
        XCTAssertEqual(gst.audioSpecificConfig.sampleRate, 44100)
        XCTAssertEqual(gst.audioSpecificConfig.channels, 1)
        XCTAssertEqual(gst.audioSpecificConfig.bytes, [0x12, 0x08, 0x56, 0xE5, 0x00])
        XCTAssertNil(LatmStreamMuxConfig(RtpVectors.h("c00028103fc0")), "audioMuxVersion 1")
        XCTAssertNil(LatmStreamMuxConfig(RtpVectors.h("000028103fc0")), "allStreamsSameTimeFraming 0")
        XCTAssertNil(LatmStreamMuxConfig(RtpVectors.h("400128103fc0")), "two layers")
        XCTAssertNil(LatmStreamMuxConfig(RtpVectors.h("400028107fc0")), "frameLengthType 1")
    }

    func testLengthsAbove255AndElementsOverManyPackets() throws {
        let config = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("400023203fc0")))
        var rng = SplitMix64(seed: 6416)
        let frames = [0, 1, 254, 255, 256, 600, 2000].map { [UInt8].random(count: max($0, 1), using: &rng) }
        for budget in [1, 7, 255, 1400] {
            var d = LatmRtpDepacketizer(config: config, clockRate: 48000)
            let units = latmPackets(frames.map { [$0] }, ts: 0xFFFF_FC00, duration: 1024, maxPayload: budget).flatMap { d.push($0) }
            XCTAssertEqual(units.map(\.data), frames, "budget \(budget)")
            XCTAssertEqual(units.map(\.timestamp), (0..<frames.count).map { 0xFFFF_FC00 &+ UInt32($0) * 1024 })
        }
    }

    func testSeveralSubframesPerElement() throws {
        let config = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("410023203fc0")))
        // RTP clock at 90 kHz for 48 kHz audio: a frame lasts 1024 * 90000 / 48000 = 1920 ticks.
        var d = LatmRtpDepacketizer(config: config, clockRate: 90000)
        let units = latmPackets([[[1, 2], [3]], [[4], [5, 6, 7]]], ts: 0, duration: 3840, maxPayload: 3).flatMap { d.push($0) }
        XCTAssertEqual(units.map(\.data), [[1, 2], [3], [4], [5, 6, 7]])
        XCTAssertEqual(units.map(\.timestamp), [0, 1920, 3840, 5760])
    }

    func testLatmResynchronisesAfterLoss() throws {
        let v = RtpVectors.named("latm-ffmpeg")
        let packets = v.packets.compactMap { RtpPacket($0[...]) }
        var d = try XCTUnwrap(v.makeDepacketizer())
        // Packet 0 (an element's first half) lost: packet 1, its tail, must not be taken for an element.
        d.lost()
        let units = packets[1...].flatMap { d.push($0) }
        XCTAssertEqual(units.map(\.data), [v.frames[1].data])
        // A lone whole element right after a loss is recognised.
        let config = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("400023203fc0")))
        var e = LatmRtpDepacketizer(config: config, clockRate: 48000)
        e.lost()
        XCTAssertEqual(e.push(packet([3, 9, 9, 9], ts: 0)).map(\.data), [[9, 9, 9]])
    }

    func testLatmOversizedElementIsDropped() throws {
        let config = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("400023203fc0")))
        var d = LatmRtpDepacketizer(config: config, clockRate: 48000)
        let chunk = [UInt8](repeating: 0xFF, count: 1400)
        for _ in 0..<400 {
            XCTAssertEqual(d.push(packet(chunk, ts: 7, marker: false)), [])
            XCTAssertLessThanOrEqual(d.bufferedBytes, LatmRtpDepacketizer.maxElementSize)
        }
        XCTAssertEqual(d.push(packet(chunk, ts: 7, marker: true)), [])
        XCTAssertEqual(d.push(packet([1, 0x42], ts: 8)).map(\.data), [[0x42]])
    }

    // MARK: all audio depacketizers

    func testRandomGarbageNeverTraps() throws {
        var rng = SplitMix64(seed: 0xA0D10)
        let config = try XCTUnwrap(LatmStreamMuxConfig(RtpVectors.h("410023203fc0")))
        var depacketizers: [any RtpDepacketizer] = [
            try XCTUnwrap(AacRtpDepacketizer()), LatmRtpDepacketizer(config: config, clockRate: 48000),
            G711RtpDepacketizer(), OpusRtpDepacketizer(),
        ]
        for i in 0..<3000 {
            var payload = [UInt8].random(count: Int.random(in: 0..<120, using: &rng), using: &rng)
            // Plausible AU header lengths make the AAC parser go deeper than its first check.
            if payload.count > 2 && Bool.random(using: &rng) { payload[0] = 0; payload[1] = [16, 32, 48][i % 3] }
            let p = packet(payload, ts: UInt32.random(in: 0..<3, using: &rng), seq: UInt16(truncatingIfNeeded: i), marker: Bool.random(using: &rng))
            for k in depacketizers.indices {
                if i % 50 == 0 { depacketizers[k].lost() }
                for u in depacketizers[k].push(p) { XCTAssertLessThanOrEqual(u.data.count, LatmRtpDepacketizer.maxElementSize) }
            }
        }
        let aac = try XCTUnwrap(depacketizers[0] as? AacRtpDepacketizer)
        XCTAssertLessThanOrEqual(aac.bufferedBytes, 8191)
    }
}
