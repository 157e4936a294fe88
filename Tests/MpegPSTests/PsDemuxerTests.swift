import MediaFormats
@testable import MpegPS
import TestSupport
import XCTest

/// Program streams built by hand from ISO/IEC 13818-1 (2.5.3.3 pack header, 2.5.3.5 system header,
/// 2.5.4 program stream map, 2.4.3.6 PES) and the GB28181 annex's stream types.
final class PsDemuxerTests: XCTestCase {
    // H.264: SPS (Baseline), PPS, IDR slice; then a non-IDR slice.
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xF6, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xC8, 0x3C, 0x58, 0xB9, 0x20]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    static let idr: [UInt8] = [0x65, 0x88, 0x84, 0x00, 0x33, 0xFF]
    static let slice: [UInt8] = [0x41, 0x9A, 0x02, 0x0C]

    static func annexB(_ nals: [[UInt8]]) -> [UInt8] { nals.flatMap { [0, 0, 0, 1] + $0 } }

    /// 2.5.3.3: '01', SCR base/ext with markers, mux rate, stuffing length 0 (14 bytes).
    static let packHeader: [UInt8] = [0, 0, 1, 0xBA, 0x44, 0x00, 0x04, 0x00, 0x04, 0x01, 0x01, 0x89, 0xC3, 0xF8]
    /// 2.5.3.5 system header: rate bound, audio/video bounds, one stream entry.
    static let systemHeader: [UInt8] = [0, 0, 1, 0xBB, 0x00, 0x09, 0x80, 0xCC, 0xF5, 0x04, 0xE1, 0xFF, 0xE0, 0xE0, 0x80]

    /// 2.5.4.1 with the entries given (stream_type, elementary_stream_id), CRC not checked by demuxers.
    static func psm(_ entries: [(UInt8, UInt8)]) -> [UInt8] {
        var map: [UInt8] = []
        for e in entries { map += [e.0, e.1, 0, 0] }
        var body: [UInt8] = [0xE0, 0xFF, 0, 0, UInt8(map.count >> 8), UInt8(map.count & 0xFF)]
        body += map
        body += [0, 0, 0, 0]   // CRC_32
        var out: [UInt8] = [0, 0, 1, 0xBC, UInt8(body.count >> 8), UInt8(body.count & 0xFF)]
        out += body
        return out
    }

    /// 2.4.3.7 PTS field with prefix '0010' (or '0011'/'0001' with a DTS).
    static func timestamp(_ prefix: UInt8, _ v: Int64) -> [UInt8] {
        let b0: UInt8 = prefix << 4 | UInt8((v >> 29) & 0x0E) | 1
        let b2: UInt8 = UInt8((v >> 14) & 0xFE) | 1
        let b4: UInt8 = UInt8((v << 1) & 0xFE) | 1
        return [b0, UInt8((v >> 22) & 0xFF), b2, UInt8((v >> 7) & 0xFF), b4]
    }

    static func pes(_ id: UInt8, pts: Int64?, _ payload: [UInt8], zeroLength: Bool = false) -> [UInt8] {
        var header: [UInt8] = [0x80, 0x00, 0]
        if let pts { header = [0x80, 0x80, 5] + timestamp(2, pts) }
        let length = zeroLength ? 0 : header.count + payload.count
        var out: [UInt8] = [0, 0, 1, id, UInt8(length >> 8), UInt8(length & 0xFF)]
        out += header
        out += payload
        return out
    }

    static let keyframe = annexB([sps, pps, idr])

    func testKeyframeWithMapAndAudio() {
        var d = PsDemuxer()
        let alaw = [UInt8](repeating: 0xD5, count: 160)
        let stream = Self.packHeader + Self.systemHeader + Self.psm([(0x1B, 0xE0), (0x90, 0xC0)])
            + Self.pes(0xE0, pts: 3600, Self.keyframe) + Self.pes(0xC0, pts: 3600, alaw)
            + Self.packHeader + Self.pes(0xE0, pts: 7200, Self.annexB([Self.slice]))
        var frames = d.push(stream[...])
        frames += d.endOfFrame()
        XCTAssertEqual(d.errors, 0)
        XCTAssertEqual(d.tracks.map(\.codec), [.h264, .pcma])
        XCTAssertGreaterThan(d.tracks[0].width, 0, "picture size read from the SPS")
        XCTAssertFalse(d.tracks[0].config.isEmpty)
        let video = frames.filter { $0.track == 0 }
        XCTAssertEqual(video.count, 2)
        XCTAssertEqual(video.map(\.key), [true, false])
        XCTAssertEqual(video[0].pts, 40_000)
        XCTAssertEqual(video[1].pts, 80_000)
        // Bus form: 4-byte lengths.
        XCTAssertEqual(Array(video[1].data), [0, 0, 0, 4] + Self.slice)
        XCTAssertEqual(frames.filter { $0.track == 1 }.map(\.data), [alaw])
    }

    func testOneByteAtATimeGivesTheSameFrames() {
        let stream = Self.packHeader + Self.psm([(0x1B, 0xE0)]) + Self.pes(0xE0, pts: 0, Self.keyframe)
            + Self.packHeader + Self.pes(0xE0, pts: 3600, Self.annexB([Self.slice])) + Self.packHeader
        var whole = PsDemuxer()
        let expected = whole.push(stream[...]) + whole.endOfFrame()
        var d = PsDemuxer()
        var frames: [PsFrame] = []
        for b in stream { frames += d.push([b][...]) }
        frames += d.endOfFrame()
        XCTAssertEqual(frames, expected)
        XCTAssertEqual(frames.count, 2)
    }

    func testFrameSplitOverSeveralPesAndZeroLengthPes() {
        let au = Self.keyframe
        let half = au.count / 2
        var d = PsDemuxer()
        let stream = Self.packHeader + Self.psm([(0x1B, 0xE0)])
            + Self.pes(0xE0, pts: 9000, Array(au[..<half])) + Self.pes(0xE0, pts: nil, [])
            + Self.pes(0xE0, pts: nil, Array(au[half...]))
            + Self.packHeader + Self.pes(0xE0, pts: 12600, Self.annexB([Self.slice]))
        let frames = d.push(stream[...]) + d.endOfFrame()
        XCTAssertEqual(frames.count, 2)
        XCTAssertTrue(frames[0].key)
        XCTAssertEqual(frames[0].data.count, Self.sps.count + Self.pps.count + Self.idr.count + 12)
    }

    func testUnboundedVideoPesRunsToTheNextPack() {
        var d = PsDemuxer()
        let stream = Self.packHeader + Self.psm([(0x1B, 0xE0)]) + Self.pes(0xE0, pts: 0, Self.keyframe, zeroLength: true)
            + Self.packHeader + Self.pes(0xE0, pts: 3600, Self.annexB([Self.slice]), zeroLength: true)
        let frames = d.push(stream[...]) + d.endOfFrame()
        XCTAssertEqual(frames.map(\.key), [true, false])
        XCTAssertEqual(d.errors, 0)
    }

    func testMissingMapGuessesH264AndH265AndAudio() {
        var d = PsDemuxer()
        let vps: [UInt8] = [0x40, 0x01, 0x0C, 0x01], hsps: [UInt8] = [0x42, 0x01, 0x01], hpps: [UInt8] = [0x44, 0x01, 0xC1], irap: [UInt8] = [0x26, 0x01, 0xAF]
        let adts: [UInt8] = [0xFF, 0xF1, 0x50, 0x80, 0x01, 0x7F, 0xFC, 0x21, 0x00]   // 44.1 kHz LC stereo, 9 bytes
        let h265 = Self.packHeader + Self.pes(0xE0, pts: 0, Self.annexB([vps, hsps, hpps, irap])) + Self.pes(0xC0, pts: 0, adts)
        _ = d.push(h265[...]) + d.endOfFrame()
        XCTAssertEqual(d.tracks.map(\.codec), [.h265, .aac])
        var e = PsDemuxer()
        _ = e.push((Self.packHeader + Self.pes(0xE2, pts: 0, Self.keyframe) + Self.pes(0xC0, pts: 0, [0xD5, 0xD5]))[...]) + e.endOfFrame()
        XCTAssertEqual(e.tracks.map(\.codec), [.h264, .pcma])
        // MPEG-1 Layer III (ffmpeg's -f mpeg default): left out for good, even when a later PES begins mid-frame.
        var m = PsDemuxer()
        let mp3 = Self.pes(0xC0, pts: 0, [0xFF, 0xFB, 0x50, 0xC4]) + Self.pes(0xC0, pts: 2351, [0x12, 0x34])
        _ = m.push((Self.packHeader + Self.pes(0xE0, pts: 0, Self.keyframe) + mp3)[...]) + m.endOfFrame()
        XCTAssertEqual(m.tracks.map(\.codec), [.h264])
    }

    /// ffmpeg's -f mpeg: fixed-size PES that begin with the tail of one frame, hold several small frames under
    /// the PTS of the first that begins in them, or none; frames come out whole with their own PTS, and the
    /// ones that had none get the last interval.
    func testUnalignedPesAreCutIntoAccessUnitsByTheirNalUnits() {
        let p1 = Self.annexB([[0x41, 0x9A] + [UInt8](repeating: 0x21, count: 30)])
        let p2 = Self.annexB([[0x41, 0x9A] + [UInt8](repeating: 0x22, count: 3)])
        let p3 = Self.annexB([[0x41, 0x9A] + [UInt8](repeating: 0x23, count: 3)])
        let p4 = Self.annexB([[0x41, 0x9A] + [UInt8](repeating: 0x24, count: 40)])
        let es = Self.keyframe + p1 + p2 + p3 + p4
        let starts = [0, Self.keyframe.count, Self.keyframe.count + p1.count, Self.keyframe.count + p1.count + p2.count,
                      Self.keyframe.count + p1.count + p2.count + p3.count]
        var stream = Self.packHeader + Self.psm([(0x1B, 0xE0)])
        var at = 0
        while at < es.count {
            let end = min(es.count, at + 20)
            // The PTS of the first frame that begins in this PES, as ISO/IEC 13818-1 2.4.3.7 says.
            let first = starts.firstIndex { $0 >= at && $0 < end }
            stream += Self.pes(0xE0, pts: first.map { Int64($0) * 3600 }, Array(es[at..<end]))
            at = end
        }
        var d = PsDemuxer()
        let frames = stream.map { d.push([$0][...]) }.flatMap { $0 } + d.endOfFrame()
        XCTAssertEqual(frames.map(\.data.count), [Self.keyframe.count, p1.count, p2.count, p3.count, p4.count])
        XCTAssertEqual(frames.map(\.pts), [0, 40_000, 80_000, 120_000, 160_000])
        XCTAssertEqual(frames.map(\.key), [true, false, false, false, false])
        XCTAssertEqual(d.errors, 0)
    }

    func testHikvisionNalUnitsAfterThePackHeader() {
        var d = PsDemuxer()
        // The first PES opens the frame; the rest of it follows a pack header with no PES around it.
        let stream = Self.packHeader + Self.psm([(0x1B, 0xE0)]) + Self.pes(0xE0, pts: 0, Self.annexB([Self.sps, Self.pps]))
            + Self.packHeader + Self.annexB([Self.idr])
        let frames = d.push(stream[...]) + d.endOfFrame()
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].key)
    }

    func testPaddingPrivateStreamsAndMpeg1PackSkipped() {
        var d = PsDemuxer()
        let padding: [UInt8] = [0, 0, 1, 0xBE, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF]
        let private1: [UInt8] = [0, 0, 1, 0xBD, 0, 3, 0x80, 0x00, 0x00]
        // ISO/IEC 11172-1 2.4.3.2: '0010', SCR, mux rate: 12 bytes.
        let mpeg1Pack: [UInt8] = [0, 0, 1, 0xBA, 0x21, 0x00, 0x01, 0x00, 0x01, 0x80, 0x00, 0x01]
        let stream = mpeg1Pack + padding + private1 + Self.psm([(0x1B, 0xE0)]) + Self.pes(0xE0, pts: 0, Self.keyframe)
        let frames = d.push(stream[...]) + d.endOfFrame()
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(d.tracks.count, 1)
        XCTAssertEqual(d.errors, 0)
    }

    func testGarbageBeforeSyncAndOversizedFrame() {
        var d = PsDemuxer()
        var stream: [UInt8] = [1, 2, 3, 0, 0, 1, 0xE0, 9] + Self.packHeader + Self.psm([(0x1B, 0xE0)])
        let big = [UInt8](repeating: 0x11, count: 60_000)
        // Seventy-odd PES of one PTS add up past the 4 MB cap.
        stream += Self.pes(0xE0, pts: 0, Self.annexB([Self.idr]))
        for _ in 0..<75 { stream += Self.pes(0xE0, pts: nil, big) }
        var frames = d.push(stream[...]) + d.endOfFrame()
        XCTAssertTrue(frames.isEmpty)
        XCTAssertEqual(d.errors, 1)
        XCTAssertNotNil(d.lastError)
        frames = d.push((Self.packHeader + Self.pes(0xE0, pts: 3600, Self.keyframe))[...]) + d.endOfFrame()
        XCTAssertEqual(frames.count, 1, "the demuxer goes on after a dropped frame")
        XCTAssertLessThan(d.bufferedBytes, 1000)
    }

    func testSeededGarbageAndTruncationNeverTrapAndStayBounded() {
        var rng = SplitMix64(seed: 0x6B28181)
        let good = Self.packHeader + Self.systemHeader + Self.psm([(0x1B, 0xE0), (0x90, 0xC0)])
            + Self.pes(0xE0, pts: 0, Self.keyframe) + Self.pes(0xC0, pts: 0, [0xD5, 0xD5, 0xD5])
        for _ in 0..<2000 {
            var d = PsDemuxer()
            var bytes = good
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...64, using: &rng)
                _ = d.push(bytes[i..<min(i + n, bytes.count)])
                i += n
            }
            _ = d.endOfFrame()
            XCTAssertLessThanOrEqual(d.bufferedBytes, bytes.count)
        }
        var d = PsDemuxer()
        for _ in 0..<200 { _ = d.push((0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }[...]) }
        XCTAssertLessThan(d.bufferedBytes, PsDemuxer.maxFrameSize + 1000)
    }
}
