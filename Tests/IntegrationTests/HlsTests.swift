import Foundation
import XCTest

/// Live HLS from memory, both variants: ffprobe plays them, segments follow the configured duration and
/// start on keyframes, unknown segments and streams are 404, other paths still reach static files,
/// muxing stops when nobody asks, a publisher returning within the reconnect window gives a discontinuity, and
/// players over max_stream_sessions or max_sessions get 503.
final class HlsTests: XCTestCase {
    private func get(_ url: String) throws -> (Int32, String) {
        try runCommand("/usr/bin/curl", ["-s", "-m", "15", "-w", "\n%{http_code}", url], timeout: 20)
    }

    /// The HLS muxers reading live/`stream` (getMediaPlayerList's readers whose peer is "hls"; the players' own
    /// sessions, also protocol hls, have their addresses).
    private func muxers(_ http: Int, _ stream: String) -> Int {
        let list = (try? managementApi(http, "getMediaPlayerList?app=live&stream=\(stream)"))?["data"] as? [[String: Any]] ?? []
        return list.filter { $0["protocol"] as? String == "hls" && $0["peer_ip"] as? String == "hls" }.count
    }

    func testTsAndFmp4VariantsPlayWithSegmentsOnKeyframes() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000,
                                          extra: "[hls]\nsegment_ms = 2000\nidle_ms = 6000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publishers = try MediaTools.publishRtmpAndRtsp(to: s, rtmp: rtmp, rtsp: rtsp, seconds: 60)
        defer { publishers.forEach { $0.terminate() } }

        // The first request starts the muxer and waits for the first segment.
        let (_, first) = try get("http://127.0.0.1:\(http)/live/a/hls.m3u8")
        XCTAssertTrue(first.hasPrefix("#EXTM3U"), first)
        XCTAssertTrue(first.hasSuffix("200"), first)
        // Players poll their playlists; three more segments come meanwhile.
        for _ in 0..<7 {
            for stream in ["a", "b"] { _ = try get("http://127.0.0.1:\(http)/live/\(stream)/hls.m3u8") }
            usleep(1_000_000)
        }

        for (stream, variant) in [("a", "hls.m3u8"), ("a", "hls.fmp4.m3u8"), ("b", "hls.m3u8"), ("b", "hls.fmp4.m3u8")] {
            let url = "http://127.0.0.1:\(http)/live/\(stream)/\(variant)"
            let (_, playlist) = try get(url)
            let durations = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXTINF:") }
                .compactMap { Double($0.dropFirst(8).dropLast()) }
            XCTAssertGreaterThanOrEqual(durations.count, 3, playlist)
            // 25 fps with a keyframe every second: 2 s segments cut at the first keyframe after 2 s.
            for d in durations { XCTAssertEqual(d, 2.0, accuracy: 0.05, "segment duration in \(url): \(playlist)") }
            let p = try MediaTools.probe(url, seconds: 4, timeout: 30)
            XCTAssertEqual(p.videoCodec, "h264", url)
            XCTAssertEqual(p.audioCodec, "aac", url)
            // 4 s read from whole 2 s segments: at most three segments' worth of 25 fps.
            XCTAssertTrue((60...150).contains(p.videoFrames), "\(url): \(p.videoFrames)")
            XCTAssertTrue(p.firstVideoKey, "segments start on keyframes: \(url)")
            XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), url)
            XCTAssertTrue(MediaTools.isIncreasing(p.audioDts), "\(url): \(p.audioDts.prefix(60))")
        }
        // A segment number that does not exist, a stream nobody publishes, and a path that is not HLS.
        XCTAssertTrue(try get("http://127.0.0.1:\(http)/live/a/hls.99999.ts").1.hasSuffix("404"))
        XCTAssertTrue(try get("http://127.0.0.1:\(http)/live/none/hls.m3u8").1.hasSuffix("404"))
        XCTAssertTrue(try get("http://127.0.0.1:\(http)/live/a/other.txt").1.hasSuffix("404"))
        // Nobody asks for b any more: its muxer stops, seen as its reader of the stream going away (a's stays).
        XCTAssertEqual(muxers(http, "b"), 1, "b's HLS muxer reads the stream while it is asked for")
        for _ in 0..<9 {
            _ = try get("http://127.0.0.1:\(http)/live/a/hls.m3u8")
            usleep(1_000_000)
        }
        XCTAssertEqual(muxers(http, "b"), 0, "b's muxer still reads the stream after idle_ms without a request")
        XCTAssertEqual(muxers(http, "a"), 1, "a's muxer, asked every second, stopped")
        XCTAssertTrue(s.log.contains("HLS of /live/b: no request for 6 s; muxing stops"), s.log)
        XCTAssertFalse(s.log.contains("HLS of /live/a: no request"), s.log)
    }

    /// README: "a new publisher after a drop gives #EXT-X-DISCONTINUITY". The publisher leaves and another
    /// returns within reconnect_window_ms: the muxer goes on (same reader), and the first segment of the
    /// returning publisher, not only the muxer's first, carries the tag.
    func testRepublishWithinTheReconnectWindowMarksADiscontinuity() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000,
                                          server: "reconnect_window_ms = 5000", extra: "[hls]\nsegment_ms = 1000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let url = "rtmp://127.0.0.1:\(rtmp)/live/r"
        let first = try MediaTools.publish(url, seconds: 4)
        defer { first.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/r"), s.log)
        // Segment sequence number -> whether EXT-X-DISCONTINUITY precedes it, over every playlist seen.
        var marked: [Int: Bool] = [:]
        let poll = { [self] in
            let (_, text) = try get("http://127.0.0.1:\(http)/live/r/hls.m3u8")
            var sequence = -1, flag = false
            for line in text.split(separator: "\n") {
                if line.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") { sequence = Int(line.dropFirst(22)) ?? -1 }
                if line == "#EXT-X-DISCONTINUITY" { flag = true }
                if !line.hasPrefix("#"), line.contains(".ts"), sequence >= 0 {
                    marked[sequence] = flag
                    sequence += 1
                    flag = false
                }
            }
        }
        while first.isRunning { try poll(); usleep(500_000) }
        let lastBefore = try XCTUnwrap(marked.keys.max(), "no segment while the first publisher ran")
        let second = try MediaTools.publish(url, seconds: 6)
        defer { second.terminate() }
        for _ in 0..<10 { try poll(); usleep(500_000) }
        let after = marked.filter { $0.key > lastBefore }
        XCTAssertGreaterThanOrEqual(after.count, 2, "the muxer went on with the returning publisher: \(marked.sorted { $0.key < $1.key })")
        XCTAssertEqual(marked.filter { $0.key > marked.keys.min() ?? 0 && $0.value }.count, 1,
                       "exactly one segment besides the muxer's first is marked: \(marked.sorted { $0.key < $1.key })")
        XCTAssertTrue(after.contains { $0.value }, "the returning publisher's segment is marked: \(marked.sorted { $0.key < $1.key })")
        XCTAssertEqual(muxers(http, "r"), 1, "one muxer throughout")
    }

    /// max_stream_sessions = 1: a second player of the stream (another User-Agent, so another session) is
    /// answered 503 while the first goes on being served.
    func testMaxStreamSessionsRefusesTheNextPlayerWith503() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000,
                                          extra: "[hls]\nsegment_ms = 1000\nmax_stream_sessions = 1")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/s", seconds: 10)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/s"), s.log)
        let url = "http://127.0.0.1:\(http)/live/s/hls.m3u8"
        XCTAssertEqual(try playlistStatus(url, agent: "first-player"), "200")
        XCTAssertEqual(try playlistStatus(url, agent: "second-player"), "503", "a second session of the stream over max_stream_sessions")
        XCTAssertEqual(try playlistStatus(url, agent: "first-player"), "200", "the first player's session is still served")
    }

    /// max_sessions = 1 counts players of every stream: a player of live/b is answered 503 while one of live/a
    /// is served (one encoder publishes both through ffmpeg's tee, which needs the FLV sequence headers asked for).
    func testMaxSessionsCountsThePlayersOfEveryStream() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000,
                                          extra: "[hls]\nsegment_ms = 1000\nmax_sessions = 1")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let both = "[f=flv]rtmp://127.0.0.1:\(rtmp)/live/a|[f=flv]rtmp://127.0.0.1:\(rtmp)/live/b"
        let publisher = try MediaTools.publish(both, seconds: 10, format: "tee", extra: ["-map", "0:v", "-map", "1:a", "-flags", "+global_header"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)
        XCTAssertTrue(s.waitForLog("publish /live/b"), s.log)
        let url = { (stream: String) in "http://127.0.0.1:\(http)/live/\(stream)/hls.m3u8" }
        XCTAssertEqual(try playlistStatus(url("a"), agent: "player-a"), "200", s.log)
        XCTAssertEqual(try playlistStatus(url("b"), agent: "player-b"), "503", "a player of another stream over max_sessions")
        XCTAssertEqual(try playlistStatus(url("a"), agent: "player-a"), "200", "the first player's session is still served")
    }

    /// The HTTP status of one playlist request by a player known by its User-Agent.
    private func playlistStatus(_ url: String, agent: String) throws -> String {
        try runCommand("/usr/bin/curl", ["-s", "-m", "15", "-A", agent, "-o", "/dev/null", "-w", "%{http_code}", url], timeout: 20).1
    }
}
