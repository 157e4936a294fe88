import MediaFormats
import MpegTS
import TestSupport
import XCTest

/// mux -> bytes -> demux gives back every frame with its timestamps (shifted by the muxer's offset).
final class TsRoundTripTests: XCTestCase {
    private let offset = TsMuxer.timestampOffset

    private func mux(_ tracks: [TsTrack?], _ frames: [Synthetic.Frame]) -> [UInt8] {
        var m = TsMuxer(tracks: tracks)
        var out = m.header()
        for f in frames { XCTAssertTrue(m.mux(track: f.track, pts: f.pts, dts: f.dts, key: f.key, data: f.data[...], into: &out)) }
        return out
    }

    /// What the demuxer gives for a bus frame: keyframes gain the config's parameter sets.
    private func expectedData(_ f: Synthetic.Frame, _ codec: Codec) -> [UInt8] {
        guard f.key, codec.isVideo else { return f.data }
        let sets: [[UInt8]] = codec == .h264 ? [Synthetic.sps, Synthetic.pps] : [Synthetic.vps, Synthetic.hevcSps, Synthetic.hevcPps]
        return NalUnits.lengthPrefixed(sets.map { $0[...] }) + f.data
    }

    private func assertRoundTrip(_ tracks: [TsTrack?], _ frames: [Synthetic.Frame], chunk: Int? = nil,
                                 file: StaticString = #filePath, line: UInt = #line) {
        let (out, d) = demuxAll(mux(tracks, frames), chunk: chunk)
        XCTAssertEqual(d.errors, 0, file: file, line: line)
        let present = tracks.indices.filter { i in tracks[i].map { !TsMuxer(tracks: [$0]).isEmpty } ?? false }
        XCTAssertEqual(d.tracks.map(\.codec), present.compactMap { tracks[$0]?.codec }, file: file, line: line)
        for (demuxIndex, busIndex) in present.enumerated() {
            let codec = tracks[busIndex]?.codec ?? .h264
            let sent = frames.filter { $0.track == busIndex }
            let got = out.filter { $0.track == demuxIndex }
            XCTAssertEqual(got.count, sent.count, "\(codec)", file: file, line: line)
            for (i, (g, s)) in zip(got, sent).enumerated() {
                XCTAssertEqual(g.pid, 0x100 + UInt16(busIndex), file: file, line: line)
                XCTAssertEqual(g.pts, s.pts + offset, "\(codec) frame \(i)", file: file, line: line)
                XCTAssertEqual(g.dts, s.dts + offset, "\(codec) frame \(i)", file: file, line: line)
                XCTAssertEqual(g.key, s.key, "\(codec) frame \(i)", file: file, line: line)
                XCTAssertTrue(g.data == expectedData(s, codec), "\(codec) frame \(i): \(g.data.count) vs \(s.data.count) bytes",
                              file: file, line: line)
            }
        }
    }

    func testH264AndAac() {
        var rng = SplitMix64(seed: 1)
        let frames = Synthetic.interleave([Synthetic.video(.h264, track: 0, count: 24, start: -80_000, &rng),
                                           Synthetic.audio(track: 1, count: 50, start: -80_000, &rng)])
        assertRoundTrip([TsTrack(codec: .h264, config: Synthetic.avcC), TsTrack(codec: .aac, sampleRate: 48000, channels: 2)], frames)
        assertRoundTrip([TsTrack(codec: .h264, config: Synthetic.avcC), TsTrack(codec: .aac, sampleRate: 48000, channels: 2)], frames, chunk: 1000)
    }

    func testH265AndOpusBehindSkippedTracks() {
        var rng = SplitMix64(seed: 2)
        let frames = Synthetic.interleave([Synthetic.audio(track: 1, count: 40, &rng), Synthetic.video(.h265, track: 3, count: 16, &rng)])
        assertRoundTrip([nil, TsTrack(codec: .opus, channels: 2), TsTrack(codec: .pcmu), TsTrack(codec: .h265, config: Synthetic.hvcC)], frames)
    }

    func testConfigsComeBackThroughTheDemuxer() throws {
        var rng = SplitMix64(seed: 3)
        let frames = Synthetic.interleave([Synthetic.video(.h264, track: 0, count: 2, &rng), Synthetic.audio(track: 1, count: 2, &rng)])
        let (_, d) = demuxAll(mux([TsTrack(codec: .h264, config: Synthetic.avcC), TsTrack(codec: .aac, config: [0x11, 0x90])], frames))
        XCTAssertEqual(d.tracks, [TsTrack(codec: .h264, config: Synthetic.avcC),
                                  TsTrack(codec: .aac, config: [0x11, 0x90], sampleRate: 48000, channels: 2)])
        var h = SplitMix64(seed: 4)
        let (_, e) = demuxAll(mux([TsTrack(codec: .h265, config: Synthetic.hvcC)], Synthetic.video(.h265, track: 0, count: 1, &h)))
        XCTAssertEqual(e.tracks.first?.config, Synthetic.hvcC)
    }

    /// The vectors' frames, muxed again: the same frames come back, one second later.
    func testFfmpegFramesThroughOurMuxer() {
        for v in TsVectors.all {
            let (frames, d) = demuxAll(v.bytes)
            var m = TsMuxer(tracks: d.tracks)
            var out = m.header()
            for f in frames { XCTAssertTrue(m.mux(track: f.track, pts: f.pts, dts: f.dts, key: f.key, data: f.data[...], into: &out)) }
            let (again, e) = demuxAll(out)
            XCTAssertEqual(e.errors, 0)
            XCTAssertEqual(e.tracks, d.tracks, v.name)
            // Frames of each track in order; across tracks the muxer's order is the bus's.
            for t in d.tracks.indices {
                let a = frames.filter { $0.track == t }, b = again.filter { $0.track == t }
                XCTAssertEqual(b.map(\.data), a.map(\.data), "\(v.name) track \(t)")
                XCTAssertEqual(b.map(\.key), a.map(\.key), "\(v.name) track \(t)")
                for (x, y) in zip(a, b) {
                    XCTAssertLessThanOrEqual(abs(y.pts - x.pts - offset), 6, v.name)
                    XCTAssertLessThanOrEqual(abs(y.dts - x.dts - offset), 6, v.name)
                }
            }
        }
    }

    func testKeyframeWithoutIdrIsKeptKeyThroughRandomAccessAndParameterSets() {
        // A recovery-point I frame (non-IDR slice type 1) flagged key on the bus.
        let au = NalUnits.lengthPrefixed([[0x06, 0x06, 0x01, 0x04], [0x21, 0x88, 0x80]].map { $0[...] })
        var m = TsMuxer(tracks: [TsTrack(codec: .h264, config: Synthetic.avcC)])
        var out: [UInt8] = []
        XCTAssertTrue(m.mux(track: 0, pts: 0, dts: 0, key: true, data: au[...], into: &out))
        XCTAssertTrue(m.mux(track: 0, pts: 40_000, dts: 40_000, key: false, data: au[...], into: &out))
        XCTAssertEqual(demuxAll(out).frames.map(\.key), [true, false])
    }
}
