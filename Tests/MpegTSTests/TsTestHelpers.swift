import MediaFormats
import MpegTS
import TestSupport
import XCTest

/// An independent reading of muxer output, so the muxer is not checked with the demuxer's own parser.
struct WirePacket {
    let pid: UInt16
    let unitStart: Bool
    let continuity: UInt8
    let hasPayload: Bool
    /// Adaptation field bytes after its length byte (nil when there is no adaptation field).
    let adaptation: [UInt8]?
    let payload: [UInt8]

    var pcr: Int64? {
        guard let a = adaptation, a.count >= 7, a[0] & 0x10 != 0 else { return nil }
        return Int64(a[1]) << 25 | Int64(a[2]) << 17 | Int64(a[3]) << 9 | Int64(a[4]) << 1 | Int64(a[5] >> 7)
    }

    var randomAccess: Bool { (adaptation?.first ?? 0) & 0x40 != 0 }

    static func parse(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [WirePacket] {
        XCTAssertEqual(bytes.count % 188, 0, "whole packets", file: file, line: line)
        return stride(from: 0, to: bytes.count - 187, by: 188).map { i in
            let p = Array(bytes[i..<(i + 188)])
            XCTAssertEqual(p[0], 0x47, "sync byte of packet \(i / 188)", file: file, line: line)
            let control = (p[3] >> 4) & 3
            var start = 4
            var adaptation: [UInt8]?
            if control & 2 != 0 {
                let length = Int(p[4])
                adaptation = Array(p[5..<(5 + length)])
                start = 5 + length
            }
            return WirePacket(pid: UInt16(p[1] & 0x1F) << 8 | UInt16(p[2]), unitStart: p[1] & 0x40 != 0, continuity: p[3] & 0x0F,
                              hasPayload: control & 1 != 0, adaptation: adaptation, payload: Array(p[start...]))
        }
    }
}

func hex(_ s: String) -> [UInt8] { TsVectors.h(s) }

/// Demuxes everything, including what flush releases.
func demuxAll(_ bytes: [UInt8], chunk: Int? = nil) -> (frames: [TsFrame], demuxer: TsDemuxer) {
    var d = TsDemuxer()
    var frames: [TsFrame] = []
    if let chunk {
        var i = 0
        while i < bytes.count {
            frames += d.push(bytes[i..<min(i + chunk, bytes.count)])
            i += chunk
        }
    } else {
        frames += d.push(bytes[...])
    }
    frames += d.flush()
    return (frames, d)
}

/// Synthetic bus content: NAL units without zero bytes, so no start code can appear inside them.
enum Synthetic {
    static func nal(_ header: [UInt8], _ size: Int, _ rng: inout SplitMix64) -> [UInt8] {
        header + (0..<max(0, size - header.count)).map { _ in UInt8.random(in: 1...255, using: &rng) }
    }

    static let sps: [UInt8] = [0x67, 0x64, 0x00, 0x0A, 0xAC, 0xD9, 0x44, 0x7B, 0x01, 0x10]
    static let pps: [UInt8] = [0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0]
    static let avcC = AVCDecoderConfig(sps: [sps], pps: [pps]).encode()

    static let vps: [UInt8] = [0x40, 0x01, 0x0C, 0x01, 0xFF, 0xFF, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
                               0x03, 0x00, 0x3C, 0x95, 0x94, 0x09]
    static let hevcSps: [UInt8] = [0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
                                   0x3C, 0xA0, 0x08, 0x08, 0x06, 0x85, 0x96, 0x56, 0x69, 0x24, 0xCA, 0xE0, 0x10]
    static let hevcPps: [UInt8] = [0x44, 0x01, 0xC1, 0x73, 0xD1, 0x89]
    static var hvcC: [UInt8] { HEVCDecoderConfig(vps: vps, sps: hevcSps, pps: hevcPps)?.encode() ?? [] }

    struct Frame {
        var track: Int
        var pts: Int64
        var dts: Int64
        var key: Bool
        /// Bus format: length-prefixed NAL units for video, the raw frame for audio.
        var data: [UInt8]
    }

    /// A GOP with B-frames (decode order, DTS 40 ms apart, PTS reordered), sizes from one packet to over 64 KB.
    static func video(_ codec: Codec, track: Int, count: Int, start: Int64 = 0, _ rng: inout SplitMix64) -> [Frame] {
        let sizes = [70_000, 3, 183, 184, 185, 1000, 20, 5000]
        return (0..<count).map { i in
            let key = i % 6 == 0
            let size = sizes[i % sizes.count]
            let header: [UInt8] = codec == .h264 ? [key ? 0x65 : 0x41, 0x88] : [key ? 0x26 : 0x02, 0x01, 0xAF]
            let dts = start + Int64(i) * 40_000
            let data = NalUnits.lengthPrefixed([nal(header, size, &rng)[...]])
            return Frame(track: track, pts: dts + [80_000, 160_000, 40_000, 40_000][i % 4], dts: dts, key: key, data: data)
        }
    }

    /// Audio frames of 20 ms (exact in 90 kHz ticks), sizes up to ADTS's limit.
    static func audio(track: Int, count: Int, start: Int64 = 0, _ rng: inout SplitMix64) -> [Frame] {
        let sizes = [1, 200, 177, 178, 184, 8184, 600]
        return (0..<count).map { i in
            let t = start + Int64(i) * 20_000
            return Frame(track: track, pts: t, dts: t, key: true, data: nal([0xF8], sizes[i % sizes.count], &rng))
        }
    }

    /// Frames of several tracks interleaved by DTS, as the bus delivers them.
    static func interleave(_ lists: [[Frame]]) -> [Frame] {
        lists.flatMap { $0 }.enumerated().sorted { ($0.element.dts, $0.offset) < ($1.element.dts, $1.offset) }.map(\.element)
    }
}
