import MediaFormats
@testable import MpegTS
import TestSupport
import XCTest

/// Hostile input: garbage, truncation, corruption, absurd lengths, endless PES. Never a trap, memory bounded.
final class TsRobustnessTests: XCTestCase {
    /// A packet with payload, padded through the adaptation field.
    static func packet(pid: UInt16, start: Bool, cc: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var w = TsPacketWriter(pid: pid)
        var out: [UInt8] = []
        w.writeUnit(Array(payload.prefix(184)), into: &out)
        out[1] = (start ? 0x40 : 0) | UInt8(pid >> 8)
        out[3] = out[3] & 0xF0 | cc
        return out
    }

    static func section(_ body: [UInt8]) -> [UInt8] { body + withUnsafeBytes(of: Crc32Mpeg2.checksum(body).bigEndian, Array.init) }

    static func psi(pid: UInt16, _ section: [UInt8], cc: UInt8 = 0) -> [UInt8] {
        packet(pid: pid, start: true, cc: cc, [0] + section + [UInt8](repeating: 0xFF, count: max(0, 183 - section.count)))
    }

    /// PAT -> PMT 0x1000 with H.264 on 0x100 and AAC on 0x101.
    static let tables = psi(pid: 0, section(hex("00b00d 0001 c1 0000 0001 f000"))) +
        psi(pid: 0x1000, section(hex("02b017 0001 c1 0000 e100 f000 1be100f000 0fe101f000")))

    func testRandomGarbageNeverTrapsAndStaysBounded() {
        var rng = SplitMix64(seed: 0xBAD)
        var primed = TsDemuxer()
        _ = primed.push(Self.tables[...])
        XCTAssertEqual(primed.tracks.map(\.codec), [.h264, .aac])
        var fresh = TsDemuxer()
        var frames = 0
        for i in 0..<3000 {
            var buffer: [UInt8] = []
            if i % 2 == 0 {
                buffer = (0..<Int.random(in: 0...1500, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                // Packet-shaped garbage on the PIDs that matter, so headers, sections and PES parsers all see it.
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let pid = [0, 0x1000, 0x100, 0x101, 0x1FFF, UInt16.random(in: 0...0x1FFF, using: &rng)].randomElement(using: &rng) ?? 0
                    var p = (0..<188).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    p[0] = 0x47
                    p[1] = p[1] & 0xE0 | UInt8(pid >> 8)
                    p[2] = UInt8(pid & 0xFF)
                    if pid == 0x100 || pid == 0x101, Bool.random(using: &rng) {
                        // A plausible PES start: header with a PTS, then a start code or an ADTS sync.
                        p[1] = 0x40 | UInt8(pid >> 8)
                        p[3] = 0x10 | p[3] & 0x0F
                        p[4..<18] = pid == 0x100 ? hex("000001e0 0000 8080 05 2100010001")[...] : hex("000001c0 0000 8080 05 2100010001")[...]
                        p[18..<23] = pid == 0x100 ? [0, 0, 1, 0x65, 0x88] : [0xFF, 0xF1, 0x50, 0x80, p[22]]
                    } else if Bool.random(using: &rng) {
                        p[1] &= 0x7F
                    }
                    buffer += p
                }
            }
            for f in primed.push(buffer[...]) + fresh.push(buffer[...]) {
                frames += 1
                if f.track == 0 { XCTAssertNotNil(NalUnits.splitLengthPrefixed(f.data[...])) }
            }
            XCTAssertLessThan(fresh.bufferedBytes, 2 * 188 + 8 << 20)
            XCTAssertLessThan(primed.bufferedBytes, 2 * 188 + 8 << 20)
        }
        _ = primed.flush()
        _ = fresh.flush()
        XCTAssertGreaterThan(primed.errors, 100)
        XCTAssertEqual(primed.bufferedBytes, 0)
        XCTAssertGreaterThan(frames, 20, "the codec paths saw garbage too (random counters drop most PES)")
        print("garbage produced \(frames) frames, \(primed.errors) + \(fresh.errors) errors")
    }

    func testTruncationAtEveryLength() {
        for v in TsVectors.all {
            let full = demuxAll(v.bytes).frames
            for n in 0...v.bytes.count {
                let cut = demuxAll(Array(v.bytes.prefix(n))).frames
                for t in 0..<v.codecs.count {
                    let a = full.filter { $0.track == t }, b = cut.filter { $0.track == t }
                    XCTAssertLessThanOrEqual(b.count, a.count, "\(v.name) cut at \(n)")
                    // All but the last frame complete; the last may be an unbounded video PES cut short.
                    XCTAssertEqual(Array(b.dropLast()), Array(a.prefix(max(0, b.count - 1))), "\(v.name) cut at \(n)")
                }
            }
        }
    }

    func testCorruptedBytesAnywhere() {
        var rng = SplitMix64(seed: 0xF11)
        for v in TsVectors.all {
            for position in stride(from: 0, to: v.bytes.count, by: 7) {
                var bytes = v.bytes
                bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
                let (frames, d) = demuxAll(bytes, chunk: 500)
                XCTAssertLessThanOrEqual(frames.count, 60)
                XCTAssertEqual(d.bufferedBytes, 0)
            }
        }
    }

    func testAbsurdSectionsAreCountedAndIgnored() {
        let pat = Self.section(hex("00b00d 0001 c1 0000 0001 f000"))
        let cases: [(String, [UInt8])] = [
            ("section_length 4095", Self.psi(pid: 0, hex("00bfff 0001 c1 0000 0001 f000"))),
            ("pointer past the payload", Self.packet(pid: 0, start: true, cc: 0, [200] + pat)),
            ("CRC wrong", Self.psi(pid: 0, Array(pat.dropLast()) + [pat.last.map { $0 ^ 1 } ?? 0])),
            ("section_length shorter than the header", Self.psi(pid: 0, hex("00b005 0001 c1 0000"))),
            ("PMT descriptors past the end", Self.psi(pid: 0, pat) + Self.psi(pid: 0x1000, Self.section(hex("02b012 0001 c1 0000 e100 f000 1be100f0ff")))),
            ("PMT program_info past the end", Self.psi(pid: 0, pat) + Self.psi(pid: 0x1000, Self.section(hex("02b00d 0001 c1 0000 e100 ffff")))),
        ]
        for (name, bytes) in cases {
            let (frames, d) = demuxAll(bytes)
            XCTAssertEqual(frames, [], name)
            XCTAssertEqual(d.tracks, [], name)
            XCTAssertEqual(d.errors, 1, name)
        }
        // A 1021-byte section that never completes: dropped at the next payload_unit_start.
        var d = TsDemuxer()
        var stream = Self.packet(pid: 0, start: true, cc: 0, [0] + hex("00b3fd") + [UInt8](repeating: 0, count: 180))
        for cc in 1...3 { stream += Self.packet(pid: 0, start: false, cc: UInt8(cc), [UInt8](repeating: 0, count: 184)) }
        stream += Self.psi(pid: 0, pat, cc: 4)
        _ = d.push(stream[...])
        XCTAssertEqual(d.errors, 1)
        XCTAssertEqual(d.flush(), [])
    }

    func testPesThatNeverEndsIsDroppedAt8MB() {
        var d = TsDemuxer()
        var stream = Self.tables
        stream += Self.packet(pid: 0x100, start: true, cc: 0, hex("000001e0 0000 8080 05 2100010001 00000001 09f0 00000001 6501"))
        let filler = [UInt8](repeating: 0x55, count: 184)
        for i in 1...46_000 { stream += Self.packet(pid: 0x100, start: false, cc: UInt8(i & 15), filler) }
        var maxBuffered = 0
        var frames: [TsFrame] = []
        for start in stride(from: 0, to: stream.count, by: 64 * 1024) {
            frames += d.push(stream[start..<min(start + 64 * 1024, stream.count)])
            maxBuffered = max(maxBuffered, d.bufferedBytes)
        }
        XCTAssertEqual(frames, [])
        XCTAssertEqual(d.errors, 1, "dropped once, the rest of it ignored")
        XCTAssertLessThanOrEqual(maxBuffered, TsElementaryStream.maxPesSize + 2 * 188)
        XCTAssertEqual(d.bufferedBytes, 0)
        // The stream recovers at the next PES.
        let next = Self.packet(pid: 0x100, start: true, cc: 1, hex("000001e0 0000 8080 05 2100010001 00000001 09f0 00000001 6502"))
        let end = Self.packet(pid: 0x100, start: true, cc: 2, hex("000001e0 0000 8080 05 2100010001 00000001 09f0 00000001 6503"))
        XCTAssertEqual(d.push((next + end)[...]).map(\.data), [hex("00000002 6502")])
    }

    func testAudioPesCutShortByTheNextOneIsDropped() {
        var d = TsDemuxer()
        _ = d.push(Self.tables[...])
        let adts = hex("fff1 5080 013f fc aabb")
        // Declares 100 bytes, carries 17.
        let cut = Self.packet(pid: 0x101, start: true, cc: 0, hex("000001c0 0064 8080 05 2100010001") + adts)
        let good = Self.packet(pid: 0x101, start: true, cc: 1, hex("000001c0 0011 8080 05 2100010001") + adts)
        XCTAssertEqual(d.push(cut[...]), [])
        XCTAssertEqual(d.push(good[...]).map(\.data), [[0xAA, 0xBB]], "a PES with its length is out without waiting for the next")
        XCTAssertEqual(d.errors, 1)
    }

    func testContinuityGapDropsTheFrameAndDuplicatesAreIgnored() {
        let v = TsVectors.h264Aac
        let full = demuxAll(v.bytes).frames
        let packets = stride(from: 0, to: v.bytes.count, by: 188).map { Array(v.bytes[$0..<($0 + 188)]) }
        // Packet 4 is the second packet of the first video PES (the keyframe).
        XCTAssertEqual(packets[4][1] & 0x5F, 0x01)
        let (lost, d) = demuxAll(packets.enumerated().filter { $0.offset != 4 }.flatMap(\.element))
        XCTAssertEqual(d.errors, 1)
        XCTAssertEqual(lost, Array(full.dropFirst()))
        let (doubled, e) = demuxAll(packets.enumerated().flatMap { $0.offset == 4 ? $0.element + $0.element : $0.element })
        XCTAssertEqual(e.errors, 0)
        XCTAssertEqual(doubled, full)
    }
}
