import MediaFormats
@testable import MpegTS
import TestSupport
import XCTest

/// The pieces under the muxer and demuxer: CRC, timestamps, sections, ADTS and Opus framing, stream types.
final class TsFormatTests: XCTestCase {
    func testCrc32Mpeg2CheckValue() {
        XCTAssertEqual(Crc32Mpeg2.checksum(Array("123456789".utf8)), 0x0376_E6E7, "the catalogue's check value")
        let pat = TsPsi.pat(pmtPid: 0x1000)
        XCTAssertEqual(Crc32Mpeg2.checksum(pat), 0, "a section with its CRC sums to zero")
    }

    func testPesTimestampsRoundTripAll33Bits() {
        var rng = SplitMix64(seed: 33)
        for v in [0, 1, (Int64(1) << 33) - 1, 0x1_0000_0000, 0xFFFF_FFFF] + (0..<500).map({ _ in Int64.random(in: 0..<(1 << 33), using: &rng) }) {
            let header = TsPes.header(streamId: 0xE0, pts: v, dts: v ^ 0x1_5555_5555, payloadLength: nil)
            XCTAssertEqual(TsPes.readTimestamp(header[9...]), v)
            XCTAssertEqual(TsPes.readTimestamp(header[14...]), v ^ 0x1_5555_5555)
            XCTAssertEqual(header[9] & 0xF1, 0x31, "'0011' and marker")
            XCTAssertEqual(header[14] & 0xF1, 0x11, "'0001' and marker")
        }
    }

    func testClockConversionsAndUnwrap() {
        XCTAssertEqual(TsClock.ticks(micros: 1_000_000), 90_000)
        XCTAssertEqual(TsClock.ticks(micros: -40_000), -3_600)
        XCTAssertEqual(TsClock.ticks(micros: 11), 1, "rounded to nearest")
        XCTAssertEqual(TsClock.micros(ticks: 1), 11)
        XCTAssertEqual(TsClock.micros(ticks: -90_000), -1_000_000)
        XCTAssertEqual(TsClock.micros(samples: 1024, rate: 44100), 23_220)
        var u = TsTimestampUnwrapper()
        let top = (Int64(1) << 33) - 1000
        XCTAssertEqual([top, 500, top - 50, 2000, 90_000].map { u.unwrap($0) },
                       [top, top + 1500, top - 50, top + 3000, top + 91_000], "forward across the wrap and back")
        var v = TsTimestampUnwrapper()
        XCTAssertEqual([1000, top].map { v.unwrap($0) }, [1000, -1000], "backward below zero")
    }

    func testSectionAssembler() {
        var a = TsSectionAssembler()
        var errors = 0
        let pat = TsPsi.pat(pmtPid: 0x1000)
        // Two sections in one packet, then stuffing.
        XCTAssertEqual(a.push(([0] + pat + pat + [0xFF, 0xFF])[...], unitStart: true, errors: &errors), [pat, pat])
        // One section over three packets, the next one starting in the third after the pointer.
        let long = [0x02, 0xB1, 0x2C] + [UInt8](repeating: 0x11, count: 300)
        XCTAssertEqual(a.push(([0] + long.prefix(183))[...], unitStart: true, errors: &errors), [])
        XCTAssertEqual(a.push(long[183..<300], unitStart: false, errors: &errors), [])
        XCTAssertEqual(a.push(([3] + long[300...] + pat)[...], unitStart: true, errors: &errors), [long, pat])
        XCTAssertEqual(errors, 0)
        // Continuation without a start is ignored; an unfinished section is counted when the next begins.
        XCTAssertEqual(a.push(pat[...], unitStart: false, errors: &errors), [])
        XCTAssertEqual(a.push(([0] + long.prefix(100))[...], unitStart: true, errors: &errors), [])
        XCTAssertEqual(a.push(([0] + pat)[...], unitStart: true, errors: &errors), [pat])
        XCTAssertEqual(errors, 1)
    }

    func testAdtsFramesSplitAcrossPes() {
        var s = AdtsSplitter()
        var errors = 0
        let asc = AudioSpecificConfig(objectType: 2, sampleRate: 48000, channels: 2)
        func frame(_ n: Int, _ fill: UInt8) -> [UInt8] { (asc?.adtsHeader(payloadLength: n) ?? []) + [UInt8](repeating: fill, count: n) }
        let stream = frame(10, 1) + frame(300, 2) + frame(5, 3)
        // PES 1 ends inside frame 2's header; PES 2 (PTS of frame 3, the first starting in it) finishes it.
        let first = s.push(stream[0..<20], pts: 1_000_000, errors: &errors)
        XCTAssertEqual(first.map(\.payload), [[UInt8](repeating: 1, count: 10)])
        XCTAssertEqual(first.map(\.pts), [1_000_000])
        let second = s.push(stream[20...], pts: 1_042_667, errors: &errors)
        XCTAssertEqual(second.map(\.payload), [[UInt8](repeating: 2, count: 300), [UInt8](repeating: 3, count: 5)])
        XCTAssertEqual(second.map(\.pts), [1_021_333, 1_042_667])
        XCTAssertEqual(s.nextPts, 1_064_000)
        // Garbage before a frame: counted, skipped.
        XCTAssertEqual(s.push(([0x00, 0x12] + frame(4, 9))[...], pts: 0, errors: &errors).map(\.payload), [[9, 9, 9, 9]])
        XCTAssertEqual(errors, 1)
    }

    func testOpusControlHeaders() {
        var errors = 0
        let p1: [UInt8] = [0xFC, 1, 2]
        let p2 = [UInt8](repeating: 0x0B, count: 510)
        // start_trim + end_trim + extension (2 bytes), then a plain one of 510 (ff ff 00).
        let payload = hex("7ff8 03 0138 0010 ") + p1 + hex("7fe4 03 02 aabb") + p1 + TsOpus.controlHeader(size: 510) + p2
        XCTAssertEqual(TsOpus.controlHeader(size: 510).suffix(3), [0xFF, 0xFF, 0x00])
        XCTAssertEqual(TsOpus.split(payload[...], errors: &errors).map(Array.init), [p1, p1, p2])
        XCTAssertEqual(errors, 0)
        XCTAssertEqual(TsOpus.split(hex("7fe0 05 0102")[...], errors: &errors), [], "size past the end")
        XCTAssertEqual(TsOpus.split(hex("1234")[...], errors: &errors), [])
        XCTAssertEqual(errors, 2)
        // RFC 6716 3.1: config 1 (SILK 20 ms), 13 (hybrid 20 ms), 16 (CELT 2.5 ms); codes 0, 1, 3 with 3 frames.
        XCTAssertEqual(TsOpus.duration([0x08]), 960)
        XCTAssertEqual(TsOpus.duration([0x69]), 1920)
        XCTAssertEqual(TsOpus.duration([0x83, 0x03]), 360)
        XCTAssertEqual(TsOpus.duration([]), 960)
    }

    func testG711AsGb28181LabelsIt() {
        // PMT with stream_type 0x90 on 0x100: A-law, one PES = one frame, 8 kHz mono.
        let tables = TsRobustnessTests.psi(pid: 0, TsRobustnessTests.section(hex("00b00d 0001 c1 0000 0001 f000"))) +
            TsRobustnessTests.psi(pid: 0x1000, TsRobustnessTests.section(hex("02b012 0001 c1 0000 e100 f000 90e100f000")))
        let samples = [UInt8](repeating: 0xD5, count: 160)
        let pes = hex("000001c0 00a8 8080 05 2100010001") + samples
        let packets = TsRobustnessTests.packet(pid: 0x100, start: true, cc: 0, Array(pes.prefix(184))) +
            TsRobustnessTests.packet(pid: 0x100, start: false, cc: 1, Array(pes.dropFirst(184)))
        let (frames, d) = demuxAll(tables + packets)
        XCTAssertEqual(d.tracks, [TsTrack(codec: .pcma, sampleRate: 8000, channels: 1)])
        XCTAssertEqual(frames, [TsFrame(pid: 0x100, track: 0, pts: 0, dts: 0, key: true, data: samples)])
    }

    func testPmtUpdateKeepsRunningStreams() {
        var d = TsDemuxer()
        let video = { (cc: UInt8) in
            TsRobustnessTests.packet(pid: 0x100, start: true, cc: cc, hex("000001e0 0000 8080 05 2100010001 00000001 6501"))
        }
        _ = d.push((TsRobustnessTests.tables + video(0))[...])
        XCTAssertEqual(d.tracks.map(\.codec), [.h264, .aac])
        // Version 1: AAC removed, Opus added before H.264; the video PES open across the change still completes.
        let v1 = TsRobustnessTests.psi(pid: 0x1000, TsRobustnessTests.section(
            hex("02b021 0001 c3 0000 e100 f000 06e102f00a 05044f707573 7f028002 1be100f000")), cc: 1)
        XCTAssertEqual(d.push(v1[...]), [])
        XCTAssertEqual(d.tracks, [TsTrack(codec: .opus, sampleRate: 48000, channels: 2), TsTrack(codec: .h264)])
        XCTAssertEqual(d.push(video(1)[...]), [TsFrame(pid: 0x100, track: 1, pts: 0, dts: 0, key: true, data: hex("00000002 6501"))])
        XCTAssertEqual(d.errors, 0)
    }

    func testAacPesWithoutPtsContinuesTheTimeline() {
        var d = TsDemuxer()
        _ = d.push(TsRobustnessTests.tables[...])
        let adts = hex("fff1 5080 013f fc aabb")   // 44.1 kHz
        let withPts = TsRobustnessTests.packet(pid: 0x101, start: true, cc: 0, hex("000001c0 0011 8080 05 2100010001") + adts)
        let without = TsRobustnessTests.packet(pid: 0x101, start: true, cc: 1, hex("000001c0 000c 8000 00") + adts)
        XCTAssertEqual(d.push((withPts + without)[...]).map(\.pts), [0, 23_220])
    }
}
