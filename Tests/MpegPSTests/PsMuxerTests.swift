import Foundation
import MediaFormats
@testable import MpegPS
import XCTest

/// The muxer against the demuxer (round trips), against ISO/IEC 13818-1 byte layouts, and against ffprobe.
final class PsMuxerTests: XCTestCase {
    typealias V = PsDemuxerTests

    static func lengthPrefixed(_ nals: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for n in nals {
            let c = UInt32(n.count)
            out += [UInt8(c >> 24), UInt8((c >> 16) & 0xFF), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF)]
            out += n
        }
        return out
    }

    static let h264Track = MediaTrack(codec: .h264, config: AVCDecoderConfig(sps: [V.sps], pps: [V.pps]).encode())
    static let alawTrack = MediaTrack(codec: .pcma, sampleRate: 8000, channels: 1)

    func testRoundTripH264AndG711AThroughTheDemuxer() throws {
        var m = PsMuxer(tracks: [Self.h264Track, Self.alawTrack])
        let key = Self.lengthPrefixed([V.sps, V.pps, V.idr])
        let delta = Self.lengthPrefixed([V.slice])
        let alaw = [UInt8](repeating: 0xD5, count: 160)
        var stream: [UInt8] = []
        var d = PsDemuxer()
        var frames: [PsFrame] = []
        // One PS packet per frame, each fed as its own RTP frame would be (endOfFrame = marker).
        for (t, pts, dts, k, data) in [(0, 40_000, 0, true, key), (1, 0, 0, false, alaw), (0, 120_000, 40_000, false, delta), (1, 20_000, 20_000, false, alaw)] {
            let p = try XCTUnwrap(m.mux(track: t, pts: Int64(pts), dts: Int64(dts), key: k, data: data[...]))
            XCTAssertEqual(Array(p.prefix(4)), [0, 0, 1, 0xBA], "every frame starts with a pack header")
            stream += p
            frames += d.push(p[...])
            frames += d.endOfFrame()
        }
        XCTAssertEqual(d.errors, 0)
        XCTAssertEqual(d.tracks.map(\.codec), [.h264, .pcma])
        XCTAssertEqual(frames.count, 4)
        let video = frames.filter { $0.track == 0 }
        XCTAssertEqual(video.map(\.data), [key, delta])
        XCTAssertEqual(video.map(\.key), [true, false])
        // The demuxer's clock starts at the first PTS it sees; differences survive exactly.
        XCTAssertEqual(video[1].pts - video[0].pts, 80_000)
        XCTAssertEqual(video[0].pts - video[0].dts, 40_000, "the DTS is written when it differs from the PTS")
        XCTAssertEqual(frames.filter { $0.track == 1 }.map(\.data), [alaw, alaw])
        // The system header and PSM come once, before the keyframe (the only one), not before the others.
        XCTAssertEqual(Self.count([0, 0, 1, 0xBC], in: stream), 1)
        XCTAssertEqual(Self.count([0, 0, 1, 0xBB], in: stream), 1)
        XCTAssertEqual(Self.count([0, 0, 1, 0xBA], in: stream), 4)
    }

    func testKeyframeWithoutParameterSetsGetsThemFromTheConfigAndHeadersAgain() throws {
        var m = PsMuxer(tracks: [Self.h264Track])
        _ = m.mux(track: 0, pts: 0, dts: 0, key: true, data: Self.lengthPrefixed([V.idr])[...])
        _ = m.mux(track: 0, pts: 40_000, dts: 40_000, key: false, data: Self.lengthPrefixed([V.slice])[...])
        let second = try XCTUnwrap(m.mux(track: 0, pts: 80_000, dts: 80_000, key: true, data: Self.lengthPrefixed([V.idr])[...]))
        XCTAssertEqual(Self.count([0, 0, 1, 0xBC], in: second), 1, "PSM before each keyframe (GB28181)")
        var d = PsDemuxer()
        let frames = d.push(second[...]) + d.endOfFrame()
        XCTAssertEqual(frames.first?.data, Self.lengthPrefixed([V.sps, V.pps, V.idr]))
    }

    func testFramesOverOnePesAreSplitAt65535AndRoundTrip() throws {
        var m = PsMuxer(tracks: [Self.h264Track])
        var big = V.idr
        var rng = SystemRandomNumberGenerator()
        big += (0..<200_000).map { _ in UInt8.random(in: 1...0xFF, using: &rng) }   // no start code emulation
        let au = Self.lengthPrefixed([V.sps, V.pps, big])
        let p = try XCTUnwrap(m.mux(track: 0, pts: 0, dts: 0, key: true, data: au[...]))
        // Walk the PES packets: each PES_packet_length within 16 bits, only the first with a PTS.
        var i = 14   // pack header; then the system header and the PSM, by their lengths
        for code: UInt8 in [0xBB, 0xBC] {
            XCTAssertEqual(Array(p[i..<(i + 4)]), [0, 0, 1, code])
            i += 6 + (Int(p[i + 4]) << 8 | Int(p[i + 5]))
        }
        var pes: [(length: Int, hasPts: Bool)] = []
        while i + 9 <= p.count {
            XCTAssertEqual(Array(p[i..<(i + 4)]), [0, 0, 1, 0xE0])
            let length = Int(p[i + 4]) << 8 | Int(p[i + 5])
            pes.append((length, p[i + 7] & 0x80 != 0))
            i += 6 + length
        }
        XCTAssertEqual(i, p.count, "PES lengths add up to the packet")
        XCTAssertEqual(pes.count, 4)
        XCTAssertEqual(pes.map(\.hasPts), [true, false, false, false])
        XCTAssertEqual(pes[0].length, 3 + 5 + PsMuxer.maxPesPayload, "flags, PTS (no DTS: it equals the PTS), a full payload")
        XCTAssertEqual(pes[1].length, 3 + PsMuxer.maxPesPayload)
        var d = PsDemuxer()
        let frames = d.push(p[...]) + d.endOfFrame()
        XCTAssertEqual(frames.map(\.data), [au])
    }

    func testAacGetsAdtsAndRoundTrips() throws {
        let asc = try XCTUnwrap(AudioSpecificConfig(objectType: 2, sampleRate: 44100, channels: 2))
        var m = PsMuxer(tracks: [MediaTrack(codec: .aac, config: asc.bytes, sampleRate: 44100, channels: 2)])
        let raw: [UInt8] = [0x21, 0x10, 0x05, 0x00, 0xA0, 0x19, 0x33]
        let p = try XCTUnwrap(m.mux(track: 0, pts: 0, dts: 0, key: false, data: raw[...]))
        var d = PsDemuxer()
        let frames = d.push(p[...]) + d.endOfFrame()
        XCTAssertEqual(d.tracks.first?.codec, .aac)
        XCTAssertEqual(frames.map(\.data), [raw])
    }

    func testUnsupportedTracksAreSkipped() {
        var m = PsMuxer(tracks: [MediaTrack(codec: .opus, sampleRate: 48000, channels: 2), nil, Self.h264Track, Self.h264Track])
        XCTAssertFalse(m.carries(track: 0))
        XCTAssertTrue(m.carries(track: 2))
        XCTAssertFalse(m.carries(track: 3), "one video stream (0xE0) only")
        XCTAssertNil(m.mux(track: 0, pts: 0, dts: 0, key: false, data: [1, 2, 3]))
        XCTAssertNil(m.mux(track: 2, pts: 0, dts: 0, key: true, data: [0, 0, 0, 9, 1]), "a NAL length past the data")
    }

    // MARK: ISO/IEC 13818-1 byte layouts

    /// 2.5.3.3 Table 2-38: '01', SCR_base[32..30], marker, [29..15], marker, [14..0], marker, SCR_ext, marker;
    /// program_mux_rate (22 bits), two markers; reserved '11111', pack_stuffing_length.
    func testPackHeaderFields() {
        let scr: Int64 = 0x1_2345_6789   // every SCR bit group non-trivial
        let h = PsMuxer.packHeader(scr: scr)
        XCTAssertEqual(h.count, 14)
        XCTAssertEqual(Array(h[0..<4]), [0, 0, 1, 0xBA])
        XCTAssertEqual(h[4] >> 6, 0b01, "MPEG-2 marker '01'")
        XCTAssertEqual(h[4] & 0x04, 0x04); XCTAssertEqual(h[6] & 0x04, 0x04); XCTAssertEqual(h[8] & 0x04, 0x04); XCTAssertEqual(h[9] & 1, 1)
        let base = Int64((h[4] >> 3) & 0x07) << 30 | Int64(h[4] & 0x03) << 28 | Int64(h[5]) << 20 | Int64(h[6] >> 3) << 15
            | Int64(h[6] & 0x03) << 13 | Int64(h[7]) << 5 | Int64(h[8] >> 3)
        XCTAssertEqual(base, scr)
        let ext = Int(h[8] & 0x03) << 7 | Int(h[9] >> 1)
        XCTAssertEqual(ext, 0)
        let rate = Int(h[10]) << 14 | Int(h[11]) << 6 | Int(h[12] >> 2)
        XCTAssertEqual(rate, PsMuxer.muxRate)
        XCTAssertNotEqual(rate, 0, "program_mux_rate 0 is forbidden (2.5.3.4)")
        XCTAssertEqual(h[12] & 0x03, 0x03)
        XCTAssertEqual(h[13] >> 3, 0x1F); XCTAssertEqual(h[13] & 0x07, 0)
        XCTAssertEqual(PsHeaders.packHeaderLength(h[...]), 14, "the demuxer's reading of the same header")
    }

    /// 2.5.4.1 Table 2-41 and Annex A: length, current_next_indicator, entries (stream_type, stream_id,
    /// info length), and a CRC_32 over the whole packet that leaves the CRC register at 0.
    func testStreamMapAndSystemHeaderFields() {
        let m = PsMuxer(tracks: [Self.h264Track, Self.alawTrack])
        let psm = m.streamMap()
        XCTAssertEqual(Array(psm[0..<4]), [0, 0, 1, 0xBC])
        XCTAssertEqual(Int(psm[4]) << 8 | Int(psm[5]), psm.count - 6)
        XCTAssertEqual(psm[6] & 0x80, 0x80, "current_next_indicator")
        XCTAssertEqual(psm[6] & 0x1F, 0, "version 0")
        XCTAssertEqual(psm[7] & 0x01, 1, "marker")
        XCTAssertEqual(Array(psm[8..<10]), [0, 0], "program_stream_info_length")
        XCTAssertEqual(Int(psm[10]) << 8 | Int(psm[11]), 8)
        XCTAssertEqual(Array(psm[12..<20]), [0x1B, 0xE0, 0, 0, 0x90, 0xC0, 0, 0])
        XCTAssertEqual(Crc32Mpeg2Check.residue(psm), 0)
        XCTAssertEqual(PsHeaders.streamMap(psm[...]), [0xE0: 0x1B, 0xC0: 0x90])

        // 2.5.3.5 Table 2-40: header_length, rate_bound with markers, bounds, then 3 bytes per stream with '11'.
        let sh = m.systemHeader()
        XCTAssertEqual(Array(sh[0..<4]), [0, 0, 1, 0xBB])
        XCTAssertEqual(Int(sh[4]) << 8 | Int(sh[5]), sh.count - 6)
        XCTAssertEqual(sh[6] & 0x80, 0x80); XCTAssertEqual(sh[8] & 0x01, 1)
        XCTAssertEqual(Int(sh[6] & 0x7F) << 15 | Int(sh[7]) << 7 | Int(sh[8] >> 1), PsMuxer.muxRate, "rate_bound >= program_mux_rate")
        XCTAssertEqual(sh[9] >> 2, 1, "audio_bound"); XCTAssertEqual(sh[10] & 0x1F, 1, "video_bound"); XCTAssertEqual(sh[10] & 0x20, 0x20, "marker")
        XCTAssertEqual(sh[12], 0xE0); XCTAssertEqual(sh[13] >> 6, 0b11); XCTAssertEqual(sh[13] & 0x20, 0x20, "video buffer scale 1024")
        XCTAssertEqual(sh[15], 0xC0); XCTAssertEqual(sh[16] >> 6, 0b11)
        XCTAssertEqual(sh.count, 18)
    }

    // MARK: ffprobe

    func testFfprobeReadsMuxedH264() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psmux-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let es = dir.appendingPathComponent("in.h264").path, ps = dir.appendingPathComponent("out.ps").path
        guard (try? Self.run("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "50",
                                                "-c:v", "libx264", "-g", "25", "-bf", "0", "-f", "h264", es])) != nil else {
            throw XCTSkip("ffmpeg with libx264 is not available")
        }
        let annexB = try [UInt8](Data(contentsOf: URL(fileURLWithPath: es)))
        // Access units: a new one at each slice whose first_mb_in_slice is 0 (first byte after the header >= 0x80).
        var aus: [[[UInt8]]] = []
        var current: [[UInt8]] = []
        for nal in NalUnits.splitAnnexB(annexB[...]) {
            let t = nal[nal.startIndex] & 0x1F
            if t == 9 { continue }
            current.append(Array(nal))
            if t == 1 || t == 5 { aus.append(current); current = [] }
        }
        XCTAssertEqual(aus.count, 50)
        var m = PsMuxer(tracks: [MediaTrack(codec: .h264)])
        var out: [UInt8] = []
        for (i, au) in aus.enumerated() {
            let key = au.contains { $0[0] & 0x1F == 5 }
            out += try XCTUnwrap(m.mux(track: 0, pts: Int64(i) * 40_000, dts: Int64(i) * 40_000, key: key, data: Self.lengthPrefixed(au)[...]))
        }
        try Data(out).write(to: URL(fileURLWithPath: ps))
        let probe = try Self.run("/usr/bin/ffprobe", ["-v", "error", "-f", "mpeg", "-count_frames", "-select_streams", "v:0",
                                                      "-show_entries", "stream=codec_name,nb_read_frames,width", "-of", "csv=p=0", ps])
        XCTAssertEqual(probe.trimmingCharacters(in: .whitespacesAndNewlines), "h264,320,50")
    }

    static func run(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }

    static func count(_ code: [UInt8], in bytes: [UInt8]) -> Int {
        guard bytes.count >= code.count else { return 0 }
        return (0...(bytes.count - code.count)).filter { i in bytes[i..<(i + code.count)].elementsEqual(code) }.count
    }
}

/// CRC-32/MPEG-2 written out independently of the library (Annex A: x^32+x^26+...+1, initial all ones).
enum Crc32Mpeg2Check {
    static func residue(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }
}
