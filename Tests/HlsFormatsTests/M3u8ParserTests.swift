import XCTest
@testable import HlsFormats

final class M3u8ParserTests: XCTestCase {
    private func media(_ text: String, url: String = "http://127.0.0.1:8000/live/index.m3u8") throws -> M3u8MediaPlaylist {
        guard case .media(let m) = try M3u8Parser.parse(Array(text.utf8), url: url) else {
            XCTFail("not a media playlist")
            return M3u8MediaPlaylist()
        }
        return m
    }

    private func failure(_ text: String) -> String? {
        do {
            _ = try M3u8Parser.parse(Array(text.utf8), url: "http://h/p.m3u8")
            return nil
        } catch {
            return error.description
        }
    }

    func testFfmpegVodPlaylist() throws {
        let m = try media(M3u8Vectors.vod)
        XCTAssertEqual(m.targetDuration, 1)
        XCTAssertEqual(m.mediaSequence, 0)
        XCTAssertTrue(m.endList)
        XCTAssertEqual(m.playlistType, "VOD")
        XCTAssertEqual(m.segments.map(\.uri), (0..<4).map { "http://127.0.0.1:8000/live/index\($0).ts" })
        XCTAssertEqual(m.segments.map(\.sequence), [0, 1, 2, 3])
        XCTAssertEqual(m.segments.map(\.duration), [1, 1, 1, 1])
        XCTAssertFalse(m.segments.contains { $0.discontinuity })
        XCTAssertNil(m.initSection)
    }

    func testFfmpegLiveWindowNumbersSegmentsFromTheMediaSequence() throws {
        let m = try media(M3u8Vectors.liveWindow)
        XCTAssertFalse(m.endList)
        XCTAssertEqual(m.segments.map(\.sequence), [3, 4, 5, 6, 7])
        XCTAssertEqual(m.segments.first?.uri, "http://127.0.0.1:8000/live/index3.ts")
        XCTAssertEqual(m.lastSequence, 7)
    }

    func testFfmpegMasterPlaylistPicksTheHighestBandwidth() throws {
        guard case .master(let one) = try M3u8Parser.parse(Array(M3u8Vectors.master.utf8), url: "http://h:1/a/master.m3u8?t=1") else {
            return XCTFail("not a master playlist")
        }
        XCTAssertEqual(one.variants.count, 1)
        XCTAssertEqual(one.variants[0].uri, "http://h:1/a/stream.m3u8")
        XCTAssertEqual(one.variants[0].bandwidth, 70400)
        XCTAssertEqual(one.variants[0].codecs, "avc1.42c00d,mp4a.40.2", "a quoted value keeps its comma")
        XCTAssertEqual(one.variants[0].resolution?.width, 320)
        XCTAssertEqual(one.variants[0].resolution?.height, 240)

        let ladder = """
            #EXTM3U
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="audio/en.m3u8"
            #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="a"
            low/index.m3u8
            #EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=2000000,BANDWIDTH=2500000,RESOLUTION=1280x720,FRAME-RATE=25.000
            /abs/hd.m3u8
            #EXT-X-STREAM-INF:BANDWIDTH=1200000
            http://other.example:8080/mid.m3u8
            """
        guard case .master(let m) = try M3u8Parser.parse(Array(ladder.utf8), url: "http://h/x/y/master.m3u8") else {
            return XCTFail("not a master playlist")
        }
        XCTAssertEqual(m.variants.map(\.uri), ["http://h/x/y/low/index.m3u8", "http://h/abs/hd.m3u8", "http://other.example:8080/mid.m3u8"])
        XCTAssertEqual(m.best?.uri, "http://h/abs/hd.m3u8")
        XCTAssertEqual(m.best?.averageBandwidth, 2_000_000)
        XCTAssertEqual(m.best?.frameRate, 25)
    }

    func testDiscontinuityFromAnAppendedFfmpegRun() throws {
        let m = try media(M3u8Vectors.appended)
        XCTAssertEqual(m.segments.map(\.discontinuity), [false, false, true, false])
        XCTAssertFalse(m.endList)
    }

    func testFmp4PlaylistNamesItsInitSection() throws {
        let m = try media(M3u8Vectors.fmp4, url: "http://h/v/fmp4.m3u8")
        XCTAssertEqual(m.initSection, "http://h/v/init.mp4")
        XCTAssertEqual(m.segments.count, 2)
        XCTAssertFalse(m.byteRanges)
        // RFC 8216 4.3.2.5: an init section may be a byte range of a larger resource.
        let ranged = try media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"all.mp4\",BYTERANGE=\"720@0\"\n#EXTINF:2,\na.m4s\n")
        XCTAssertTrue(ranged.byteRanges)
    }

    func testCrlfBomCommentsAndUnknownTags() throws {
        let text = "\u{FEFF}#EXTM3U\r\n# a comment\r\n#EXT-X-TARGETDURATION:6\r\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\r\n"
            + "#EXT-X-KEY:METHOD=NONE\r\n#EXTINF:5.5,title, with comma\r\nseg.ts?token=a\r\n"
        let m = try media(text, url: "http://h/a/b.m3u8?x=1")
        XCTAssertEqual(m.targetDuration, 6)
        XCTAssertEqual(m.segments.first?.duration, 5.5)
        XCTAssertEqual(m.segments.first?.uri, "http://h/a/seg.ts?token=a")
        XCTAssertFalse(m.encrypted)
        XCTAssertTrue(try media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:2,\na.ts\n").encrypted)
        XCTAssertTrue(try media("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\na.ts\n").byteRanges)
    }

    func testMalformedPlaylistsAreRefusedWithTheLine() {
        XCTAssertEqual(failure(""), "playlist line 1: does not start with #EXTM3U")
        XCTAssertEqual(failure("<html>"), "playlist line 1: does not start with #EXTM3U")
        XCTAssertEqual(failure("#EXTM3U\n#EXTINF:1,\na.ts\n"), "playlist: media playlist without EXT-X-TARGETDURATION")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-TARGETDURATION:1\na.ts\n"), "playlist line 3: URI without EXTINF or EXT-X-STREAM-INF")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-TARGETDURATION:x\n"), "playlist line 2: bad EXT-X-TARGETDURATION")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:nan,\na.ts\n"), "playlist line 3: bad EXTINF duration 'nan'")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:-1,\na.ts\n"), "playlist line 3: bad EXTINF duration '-1'")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nv.m3u8\n"), "playlist line 2: EXT-X-STREAM-INF without a valid BANDWIDTH")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1\n"), "playlist line 2: EXT-X-STREAM-INF without a valid BANDWIDTH")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"), "playlist: master playlist without a variant URI")
        XCTAssertEqual(failure("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXT-X-TARGETDURATION:1\n"),
                       "playlist: both master and media playlist tags")
        XCTAssertEqual(failure("#EXTM3U\n" + String(repeating: "a", count: M3u8Parser.maxLineLength + 1)),
                       "playlist line 2: line over \(M3u8Parser.maxLineLength) bytes")
    }

    func testSegmentCountIsBounded() {
        var text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
        for i in 0...M3u8Parser.maxSegments { text += "#EXTINF:1,\ns\(i).ts\n" }
        XCTAssertEqual(failure(text), "playlist line \(3 + 2 * M3u8Parser.maxSegments + 1): more than \(M3u8Parser.maxSegments) segments")
    }

    func testRandomBytesNeverCrash() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array("#EXTM3U-INF:,=\"\n\r/.?abc0123456789".utf8)
        for _ in 0..<2000 {
            var bytes = Array("#EXTM3U\n".utf8)
            for _ in 0..<Int(seed % 200) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(seed >> 33) % alphabet.count])
            }
            _ = try? M3u8Parser.parse(bytes, url: "http://h/p.m3u8")
        }
    }
}
