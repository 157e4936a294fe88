import MediaFormats
import MpegTS
import TestSupport
import XCTest

/// Muxer output read byte by byte: tables against hand-derived sections (CRC-32/MPEG-2 computed bit by bit
/// outside this code) and against FFmpeg's, PES headers, packetization, continuity, PCR, tables before keyframes.
final class TsMuxerTests: XCTestCase {
    private let aac = TsTrack(codec: .aac, config: [0x12, 0x10])   // LC, 44.1 kHz, stereo

    private func packet(_ section: String) -> [UInt8] {
        let bytes = hex(section)
        return bytes + [UInt8](repeating: 0xFF, count: 188 - bytes.count)
    }

    // MARK: Tables

    func testPatIsTheHandDerivedSection() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h264)])
        let out = m.header()
        XCTAssertEqual(out.count, 376)
        // 47 4000 10 | pointer 00 | table 00, syntax+length b00d, tsid 0001, version 0 current c1, sections 00 00,
        // program 0001 -> PMT PID f000 (0x1000 with reserved bits), CRC 2ab104b2.
        XCTAssertEqual(Array(out[0..<188]), packet("47400010 00 00b00d 0001 c1 0000 0001 f000 2ab104b2"))
        XCTAssertEqual(Array(out[0..<188]), Array(TsVectors.h264Aac.bytes[188..<376]), "FFmpeg writes the same PAT")
    }

    func testPmtIsTheHandDerivedSection() {
        // Audio only behind a skipped track: PID 0x101 carries the PCR; stream_type 0x0f, no descriptors.
        var m = TsMuxer(tracks: [nil, aac])
        XCTAssertEqual(Array(m.header()[188...]), packet("47500010 00 02b012 0001 c1 0000 e101 f000 0fe101f000 ece2b094"))
        // H.264 with Opus stereo: 'Opus' registration and extension descriptor 7f 02 80 02 (channel_config_code).
        var n = TsMuxer(tracks: [TsTrack(codec: .h264), TsTrack(codec: .pcma), TsTrack(codec: .opus, channels: 2)])
        XCTAssertEqual(Array(n.header()[188...]),
                       packet("47500010 00 02b021 0001 c1 0000 e100 f000 1be100f000 06e102f00a 05044f707573 7f028002 93848455"))
    }

    func testPmtMatchesFfmpegForTheSameTracks() {
        var a = TsMuxer(tracks: [TsTrack(codec: .h264), aac])
        XCTAssertEqual(Array(a.header()[188...]), Array(TsVectors.h264Aac.bytes[376..<564]))
        var b = TsMuxer(tracks: [TsTrack(codec: .h265), TsTrack(codec: .opus, channels: 1)])
        XCTAssertEqual(Array(b.header()[188...]), Array(TsVectors.h265Opus.bytes[376..<564]), "'HEVC' registration as FFmpeg writes it")
    }

    func testTablesRepeatWithContinuity() {
        var m = TsMuxer(tracks: [aac])
        let packets = WirePacket.parse(m.header() + m.header() + m.header())
        XCTAssertEqual(packets.map(\.pid), [0, 0x1000, 0, 0x1000, 0, 0x1000])
        XCTAssertEqual(packets.map(\.continuity), [0, 0, 1, 1, 2, 2])
    }

    func testAPmtOverSeveralPacketsAndTracksBeyondItsLimit() {
        var m = TsMuxer(tracks: [TsTrack?](repeating: TsTrack(codec: .h264), count: 300))
        let header = m.header()
        let packets = WirePacket.parse(header)
        // section_length 13 + 5 per stream must stay <= 1021: 201 streams, 1 + 3 + 1018 bytes in 6 packets.
        XCTAssertEqual(packets.map(\.pid), [0, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000])
        XCTAssertEqual(packets.map(\.unitStart), [true, true, false, false, false, false, false])
        let (_, d) = demuxAll(header)
        XCTAssertEqual(d.tracks.count, 201)
        XCTAssertEqual(d.errors, 0)
        var out: [UInt8] = []
        XCTAssertTrue(m.mux(track: 200, pts: 0, dts: 0, key: true, data: hex("00000002 6501")[...], into: &out))
        XCTAssertFalse(m.mux(track: 201, pts: 0, dts: 0, key: true, data: hex("00000002 6501")[...], into: &out))
    }

    // MARK: Skipped tracks

    func testUnsupportedTracksAreSkipped() {
        var out: [UInt8] = []
        var m = TsMuxer(tracks: [nil, TsTrack(codec: .pcma), TsTrack(codec: .av1), TsTrack(codec: .aac),
                                 TsTrack(codec: .opus, channels: 6), TsTrack(codec: .aac, config: [0xF8, 0x00])])
        XCTAssertTrue(m.isEmpty, "AAC without config or rate, Opus beyond stereo, an object type ADTS cannot carry")
        for t in 0..<7 { XCTAssertFalse(m.mux(track: t, pts: 0, dts: 0, key: true, data: [1, 2, 3], into: &out)) }
        XCTAssertEqual(out, [])
        XCTAssertFalse(TsMuxer(tracks: [TsTrack(codec: .aac, sampleRate: 48000, channels: 2)]).isEmpty, "config from rate and channels")
        XCTAssertFalse(TsMuxer(tracks: [TsTrack(codec: .aac, config: [0x2B, 0x92, 0x08, 0x00])]).isEmpty, "HE-AAC goes as its LC core")
        XCTAssertTrue(TsMuxer(tracks: []).isEmpty)
    }

    func testMalformedFramesWriteNothing() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h264), aac])
        var out: [UInt8] = []
        XCTAssertFalse(m.mux(track: 0, pts: 0, dts: 0, key: true, data: [0, 0, 0, 9, 0x65], into: &out), "length past the end")
        XCTAssertFalse(m.mux(track: 0, pts: 0, dts: 0, key: true, data: [], into: &out), "no NAL unit")
        XCTAssertFalse(m.mux(track: 0, pts: 0, dts: 0, key: true, data: [0, 0, 0, 2, 0x09, 0xF0], into: &out), "only an AUD")
        XCTAssertFalse(m.mux(track: 1, pts: 0, dts: 0, key: true, data: [UInt8](repeating: 1, count: 8185)[...], into: &out),
                       "beyond ADTS frame_length")
        XCTAssertEqual(out, [])
        XCTAssertTrue(m.mux(track: 1, pts: 0, dts: 0, key: true, data: [UInt8](repeating: 1, count: 8184)[...], into: &out))
    }

    // MARK: PES

    func testVideoPesHeaderAnnexBAndParameterSets() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h264, config: Synthetic.avcC)])
        var out: [UInt8] = []
        // Key AU with SEI + IDR slice, bus time 0 / -40 ms: PTS 90000 (0x15f90), DTS 86400 (0x15180) after the
        // 1 s offset; '0011'/'0001' prefixes and marker bits around bits 32..30, 29..15, 14..0.
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: -40_000, key: true, data: hex("00000003 060102  00000003 658899")[...], into: &out))
        let packets = WirePacket.parse(out)
        XCTAssertEqual(packets.map(\.pid), [0, 0x1000, 0x100], "tables first, then one packet")
        let pes = packets[2]
        XCTAssertTrue(pes.unitStart)
        // Adaptation: RAI + PCR (DTS - 0.5 s = 41400), then stuffing up to the end of the short PES.
        XCTAssertEqual(Array(pes.adaptation?.prefix(7) ?? []), hex("50 0000 50dc 7e00"))
        XCTAssertEqual(pes.pcr, 41_400)
        XCTAssertTrue(pes.randomAccess)
        let expected = hex("""
            000001 e0 0000 84 c0 0a  31 0005 bf21  11 0005 a301
            00000001 09f0  00000001 \(Synthetic.sps.map { String(format: "%02x", $0) }.joined())
            00000001 \(Synthetic.pps.map { String(format: "%02x", $0) }.joined())  00000001 060102  00000001 658899
            """)
        XCTAssertEqual(pes.payload, expected, "unbounded video PES, PTS/DTS, AUD, SPS/PPS from the config before the IDR")
        XCTAssertEqual(Array(pes.adaptation?.dropFirst(7) ?? []), [UInt8](repeating: 0xFF, count: 184 - 1 - 7 - expected.count))
    }

    func testParameterSetsAreNotDuplicatedAndOnlyBeforeKeyframes() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h264, config: Synthetic.avcC)])
        var key: [UInt8] = []
        let inBand = NalUnits.lengthPrefixed([[0x09, 0xF0], [0x67, 0x42, 0x00, 0x1E, 0x01], [0x68, 0xCE], [0x65, 0x01]].map { $0[...] })
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: inBand[...], into: &key))
        XCTAssertEqual(Array(WirePacket.parse(key)[2].payload[14...].prefix(30)),
                       hex("00000001 09f0 00000001 6742001e01 00000001 68ce 00000001 6501"), "the unit's own sets, its AUD replaced")
        var delta: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 40_000, dts: 40_000, key: false, data: hex("00000002 4101")[...], into: &delta))
        XCTAssertEqual(WirePacket.parse(delta).count, 1, "no tables before a delta frame")
        XCTAssertEqual(Array(WirePacket.parse(delta)[0].payload[14...].prefix(12)), hex("00000001 09f0 00000001 4101"))
        // A later keyframe without sets gets the ones seen in-band, which replaced the config's.
        var next: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 80_000, dts: 80_000, key: true, data: hex("00000002 6502")[...], into: &next))
        XCTAssertEqual(Array(WirePacket.parse(next)[2].payload[14...].prefix(30)),
                       hex("00000001 09f0 00000001 6742001e01 00000001 68ce 00000001 6502"))
    }

    func testH265AudAndParameterSets() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h265, config: Synthetic.hvcC)])
        var out: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: hex("00000003 2601af")[...], into: &out))
        let payload = WirePacket.parse(out)[2].payload
        XCTAssertEqual(Array(payload[0..<14]), hex("000001 e0 0000 84 80 05 21 0005 bf21"), "PTS only when DTS equals it")
        var expected = hex("00000001 460150")
        for ps in [Synthetic.vps, Synthetic.hevcSps, Synthetic.hevcPps] { expected += hex("00000001") + ps }
        expected += hex("00000001 2601af")
        XCTAssertEqual(Array(payload[14...]), expected)
    }

    func testAudioPesCarriesItsLengthAdtsAndOpusHeaders() {
        var m = TsMuxer(tracks: [aac, TsTrack(codec: .opus, channels: 2)])
        var out: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 1_000_000, dts: 1_000_000, key: true, data: [0xAA, 0xBB][...], into: &out))
        let a = WirePacket.parse(out).last?.payload ?? []
        // PES_packet_length 0x11 = 3 + 5 + 9; PTS 2 s = 180000 ticks; ADTS: LC (profile 1), index 4, 2 channels,
        // frame_length 9, buffer fullness 0x7FF, one raw block.
        XCTAssertEqual(a, hex("000001 c0 0011 84 80 05 21 000b 7e41  fff1 5080 013f fc  aabb"))
        var o: [UInt8] = []
        let packet = [UInt8](repeating: 0x11, count: 300)
        XCTAssertTrue(m.mux(track: 1, pts: 0, dts: 0, key: true, data: packet[...], into: &o))
        let opus = WirePacket.parse(o).filter { $0.pid == 0x101 }.flatMap(\.payload)
        // private_stream_1, length 3 + 5 + 4 + 300 = 0x138; control header 7fe0, au_size 255 + 45.
        XCTAssertEqual(Array(opus.prefix(18)), hex("000001 bd 0138 84 80 05 21 0005 bf21  7fe0 ff2d"))
        XCTAssertEqual(Array(opus.dropFirst(18)), packet)
    }

    func testTimestampsWrapAt33Bits() {
        var m = TsMuxer(tracks: [aac])
        var out: [UInt8] = []
        // 2^33 ticks = 95443717.7 ms: one second before the wrap after the offset is added.
        let nearWrap = (Int64(1) << 33) * 100 / 9 - 2_000_000
        XCTAssertTrue(m.mux(track: 0, pts: nearWrap, dts: nearWrap, key: true, data: [1][...], into: &out))
        XCTAssertTrue(m.mux(track: 0, pts: nearWrap + 2_000_000, dts: nearWrap + 2_000_000, key: true, data: [2][...], into: &out))
        let pes = WirePacket.parse(out).filter { $0.pid == 0x100 && $0.unitStart }
        func pts(_ p: WirePacket) -> Int64 {
            let b = p.payload
            return Int64((b[9] >> 1) & 7) << 30 | Int64(b[10]) << 22 | Int64(b[11] >> 1) << 15 | Int64(b[12]) << 7 | Int64(b[13] >> 1)
        }
        XCTAssertEqual(pts(pes[0]), (Int64(1) << 33) - 90_000)
        XCTAssertEqual(pts(pes[1]), 90_000)
    }

    // MARK: Packetization, continuity, PCR

    func testPacketsContinuityPcrAndRandomAccess() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        let frames = Synthetic.interleave([Synthetic.video(.h264, track: 0, count: 30, &rng), Synthetic.audio(track: 1, count: 60, &rng)])
        var m = TsMuxer(tracks: [TsTrack(codec: .h264, config: Synthetic.avcC), aac])
        var out = m.header()
        for f in frames { XCTAssertTrue(m.mux(track: f.track, pts: f.pts, dts: f.dts, key: f.key, data: f.data[...], into: &out)) }
        let packets = WirePacket.parse(out)
        var last: [UInt16: UInt8] = [:]
        for (i, p) in packets.enumerated() {
            if let l = last[p.pid] {
                XCTAssertEqual(p.continuity, p.hasPayload ? (l + 1) & 15 : l, "packet \(i) PID \(p.pid)")
            }
            last[p.pid] = p.continuity
            if let a = p.adaptation, a.count > 7 {
                XCTAssertTrue(a[(a[0] & 0x10 != 0 ? 7 : 1)...].allSatisfy { $0 == 0xFF }, "stuffing after the flags")
            }
        }
        XCTAssertGreaterThan(Set(last.keys).count, 3)

        // Every video PES starts with a PCR = DTS + 1 s - 0.5 s; keyframes and audio PES carry random_access.
        let videoStarts = packets.filter { $0.pid == 0x100 && $0.unitStart }
        let video = frames.filter { $0.track == 0 }
        XCTAssertEqual(videoStarts.count, video.count)
        for (p, f) in zip(videoStarts, video) {
            XCTAssertEqual(p.pcr, (f.dts + 500_000) * 9 / 100)
            XCTAssertEqual(p.randomAccess, f.key)
        }
        let audioStarts = packets.filter { $0.pid == 0x101 && $0.unitStart }
        XCTAssertEqual(audioStarts.count, 60)
        XCTAssertTrue(audioStarts.allSatisfy { $0.pcr == nil && $0.randomAccess })
        let pcrs = packets.compactMap(\.pcr)
        XCTAssertEqual(pcrs, pcrs.sorted(), "PCR never goes back")
        XCTAssertLessThanOrEqual(zip(pcrs, pcrs.dropFirst()).map { $1 - $0 }.max() ?? 0, 9_000, "at most 100 ms apart")

        // Tables exactly before each keyframe (after the header).
        let tableIndices = packets.indices.filter { packets[$0].pid == 0 }
        XCTAssertEqual(tableIndices.count, 1 + video.filter(\.key).count)
        for i in tableIndices.dropFirst() {
            XCTAssertEqual(packets[i + 1].pid, 0x1000)
            XCTAssertEqual(packets[i + 2].pid, 0x100)
            XCTAssertTrue(packets[i + 2].randomAccess)
        }
    }

    func testPesEndsAreStuffedAtEveryLength() {
        var m = TsMuxer(tracks: [TsTrack(codec: .opus, channels: 1)])
        for size in [1, 2, 150, 161, 162, 163, 164, 165, 166, 346, 347, 348, 349, 1000] {
            var out: [UInt8] = []
            let data = [UInt8](repeating: 0x33, count: size)
            XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: data[...], into: &out))
            let pes = WirePacket.parse(out).filter { $0.pid == 0x100 }.flatMap(\.payload)
            XCTAssertEqual(pes.count, 14 + 3 + size / 255 + size, "size \(size): nothing but the PES in the payloads")
            XCTAssertEqual(Array(pes.suffix(size)), data)
        }
    }

    func testPcrOnlyPacketsWhenVideoLagsAudio() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h264, config: Synthetic.avcC), aac])
        var out: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: hex("00000002 6501")[...], into: &out))
        for i in 1...15 { XCTAssertTrue(m.mux(track: 1, pts: Int64(i) * 20_000, dts: Int64(i) * 20_000, key: true, data: [1][...], into: &out)) }
        let packets = WirePacket.parse(out)
        let pcrOnly = packets.filter { $0.pid == 0x100 && !$0.hasPayload }
        XCTAssertEqual(pcrOnly.map(\.pcr), [45_000 + 9_000, 45_000 + 18_000, 45_000 + 27_000], "every 100 ms of audio")
        XCTAssertTrue(pcrOnly.allSatisfy { $0.continuity == 0 && $0.adaptation?.count == 183 }, "same counter: no payload")
    }

    func testAudioOnlyStreamsRepeatTablesEveryHalfSecond() {
        var m = TsMuxer(tracks: [nil, aac])
        var out: [UInt8] = []
        for i in 0..<50 { XCTAssertTrue(m.mux(track: 1, pts: Int64(i) * 23_220, dts: Int64(i) * 23_220, key: true, data: [7][...], into: &out)) }
        let packets = WirePacket.parse(out)
        XCTAssertEqual(packets.filter { $0.pid == 0 }.count, 3, "at 0, 0.51 s and 1.02 s")
        XCTAssertTrue(packets.filter { $0.pid == 0x101 && $0.unitStart }.allSatisfy { $0.pcr != nil }, "PCR on the audio PID")
    }

    func testPcrDiscontinuityWhenTheSourceRestarts() {
        var m = TsMuxer(tracks: [TsTrack(codec: .h264, config: Synthetic.avcC)])
        var out: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 60_000_000, dts: 60_000_000, key: true, data: hex("00000002 6501")[...], into: &out))
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: hex("00000002 6501")[...], into: &out))
        let starts = WirePacket.parse(out).filter { $0.pid == 0x100 }
        XCTAssertEqual(starts.map(\.pcr), [(60_500_000) * 9 / 100, 45_000])
        XCTAssertEqual(starts.map { ($0.adaptation?.first ?? 0) & 0x80 != 0 }, [false, true], "discontinuity_indicator")
    }
}
