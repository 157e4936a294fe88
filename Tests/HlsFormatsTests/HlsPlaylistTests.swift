import HlsFormats
import XCTest

/// The media playlists the HLS server writes (RFC 8216, and RFC 8216bis for LL-HLS), line by line.
final class HlsPlaylistTests: XCTestCase {
    func testTsPlaylistListsSegmentsWithDiscontinuities() {
        let text = HlsPlaylist.text([
            .init(sequence: 5, durationUs: 2_000_000, discontinuity: false),
            .init(sequence: 6, durationUs: 1_960_400, discontinuity: true),
        ], variant: .ts, targetSeconds: 2, discontinuitySequence: 1, query: "")
        XCTAssertEqual(text, """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:5
            #EXT-X-DISCONTINUITY-SEQUENCE:1
            #EXTINF:2.000,
            hls.5.ts
            #EXT-X-DISCONTINUITY
            #EXTINF:1.960,
            hls.6.ts

            """)
    }

    func testFmp4PlaylistHasTheInitSegmentAndCarriesTheQuery() {
        let text = HlsPlaylist.text([.init(sequence: 0, durationUs: 4_000_000, discontinuity: false)], variant: .fmp4,
                                    targetSeconds: 4, discontinuitySequence: 0, query: "vhost=a")
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[1], "#EXT-X-VERSION:7")
        XCTAssertTrue(lines.contains("#EXT-X-MAP:URI=\"hls.fmp4.init.mp4?vhost=a\""))
        XCTAssertEqual(lines.last, "hls.fmp4.0.m4s?vhost=a")
    }

    func testEmptyWindowStartsAtSequenceZero() {
        let text = HlsPlaylist.text([], variant: .ts, targetSeconds: 6, discontinuitySequence: 0, query: "")
        XCTAssertTrue(text.contains("#EXT-X-MEDIA-SEQUENCE:0\n"))
        XCTAssertFalse(text.contains("#EXTINF"))
    }

    func testLowLatencyPlaylistListsPartsAndAPreloadHint() {
        let part = HlsPlaylist.PartEntry(durationUs: 333_333, independent: true)
        let later = HlsPlaylist.PartEntry(durationUs: 333_334, independent: false)
        let text = HlsPlaylist.text([.init(sequence: 7, durationUs: 666_667, discontinuity: false, parts: [part, later])],
                                    variant: .fmp4, targetSeconds: 1, discontinuitySequence: 0, query: "",
                                    edge: .init(partTargetUs: 334_000, sequence: 8, discontinuity: true, parts: [part]))
        XCTAssertEqual(text, """
            #EXTM3U
            #EXT-X-VERSION:9
            #EXT-X-TARGETDURATION:1
            #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002
            #EXT-X-PART-INF:PART-TARGET=0.334
            #EXT-X-MEDIA-SEQUENCE:7
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-MAP:URI="hls.fmp4.init.mp4"
            #EXT-X-PART:DURATION=0.33333,URI="hls.fmp4.7.0.m4s",INDEPENDENT=YES
            #EXT-X-PART:DURATION=0.33333,URI="hls.fmp4.7.1.m4s"
            #EXTINF:0.667,
            hls.fmp4.7.m4s
            #EXT-X-DISCONTINUITY
            #EXT-X-PART:DURATION=0.33333,URI="hls.fmp4.8.0.m4s",INDEPENDENT=YES
            #EXT-X-PRELOAD-HINT:TYPE=PART,URI="hls.fmp4.8.1.m4s"

            """)
    }

    func testEdgeWithoutPartsHasNoDiscontinuityYet() {
        let text = HlsPlaylist.text([], variant: .fmp4, targetSeconds: 1, discontinuitySequence: 0, query: "",
                                    edge: .init(partTargetUs: 200_000, sequence: 3, discontinuity: true, parts: []))
        XCTAssertFalse(text.contains("#EXT-X-DISCONTINUITY\n"))
        XCTAssertTrue(text.hasSuffix("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"hls.fmp4.3.0.m4s\"\n"))
    }

    func testSecondsRoundToTheDigitsAsked() {
        XCTAssertEqual(HlsPlaylist.seconds(1_999_500, digits: 3), "2.000")
        XCTAssertEqual(HlsPlaylist.seconds(1_999_499, digits: 3), "1.999")
        XCTAssertEqual(HlsPlaylist.seconds(1_234, digits: 5), "0.00123")
        XCTAssertEqual(HlsPlaylist.seconds(-5, digits: 3), "0.000", "a negative duration is written as 0")
        XCTAssertEqual(HlsPlaylist.seconds(12_600_000, digits: 0), "13", "whole seconds, no point")
        XCTAssertEqual(HlsPlaylist.seconds(1_234_567, digits: 9), "1.234567", "no digits past microseconds")
    }
}
