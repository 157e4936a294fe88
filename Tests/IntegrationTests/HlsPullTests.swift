import Foundation
import XCTest

/// The HLS pull: ffmpeg's hls muxer writes a live stream (behind a master playlist) and a VOD with a
/// discontinuity into a temporary folder, `python3 -m http.server` serves it, and the pulled streams are
/// played back over RTMP with ffprobe.
final class HlsPullTests: XCTestCase {
    private var processes: [Process] = []
    private var folders: [URL] = []

    override func tearDown() {
        for p in processes where p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        for f in folders { try? FileManager.default.removeItem(at: f) }
        super.tearDown()
    }

    private func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-hlspull-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        folders.append(dir)
        return dir
    }

    /// ffmpeg's hls muxer on the usual synthetic 320x240 25 fps H.264 (GOP 25) + AAC source, 1 s segments.
    @discardableResult
    private func ffmpegHls(_ dir: URL, seconds: Int, realtime: Bool, options: [String], playlist: String = "index.m3u8") throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        p.currentDirectoryURL = dir
        p.arguments = ["-hide_banner", "-loglevel", "error"] + (realtime ? ["-re"] : [])
            + ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
               "-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1"] + options + [playlist]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        processes.append(p)
        return p
    }

    @discardableResult
    private func httpServer(_ dir: URL, port: Int = freePort()) throws -> (port: Int, process: Process) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        processes.append(p)
        XCTAssertTrue(waitUntil(timeout: 5) { talk(port: port, "GET / HTTP/1.0\r\n\r\n", timeout: 1)?.hasPrefix("HTTP/1.0 200") == true },
                      "python3 -m http.server answers")
        return (port, p)
    }

    /// The server with RTMP for the players and the given `[hls] pull` entries.
    private func server(rtmp: Int, pulls: [String], name: String = #function) throws -> ServerProcess {
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 5000
            [rtmp]
            port = \(rtmp)
            [hls]
            pull = [\(pulls.map { "\"\($0)\"" }.joined(separator: ", "))]
            """, name: name)
        try s.start()
        return s
    }

    func testLivePullThroughAMasterPlaylistPlaysOverRtmpAtRealTime() throws {
        let dir = try folder()
        try ffmpegHls(dir, seconds: 30, realtime: true,
                      options: ["-hls_list_size", "5", "-hls_flags", "delete_segments", "-master_pl_name", "master.m3u8"])
        let (http, origin) = try httpServer(dir)
        XCTAssertTrue(waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: dir.appendingPathComponent("master.m3u8").path) },
                      "ffmpeg wrote its master playlist")
        let rtmp = freePort()
        let s = try server(rtmp: rtmp, pulls: ["live/hls=http://127.0.0.1:\(http)/master.m3u8", "live/missing=http://127.0.0.1:\(http)/nope.m3u8",
                                               "live/tls=https://127.0.0.1:\(http)/index.m3u8"])
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pull live/hls <- http://127.0.0.1:\(http)/master.m3u8: master playlist: taking the variant of"), s.log)
        XCTAssertTrue(s.waitForLog("pulling h264+aac (live, target duration 1 s) from http://127.0.0.1:\(http)/index.m3u8"), s.log)
        XCTAssertTrue(s.waitForLog("pull live/missing <- http://127.0.0.1:\(http)/nope.m3u8: playlist http://127.0.0.1:\(http)/nope.m3u8 "
                                   + "answered 404 File not found; retrying in 1000 ms"), s.log)
        // https to a server that speaks plain http: the TLS handshake fails, is logged and retried.
        XCTAssertTrue(s.waitForLog("pull live/tls <- https://127.0.0.1:\(http)/index.m3u8: "), s.log)
        XCTAssertTrue(s.log.components(separatedBy: "\n").contains { $0.contains("pull live/tls <-") && $0.contains("retrying") }, s.log)

        let started = Date()
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/hls", seconds: 4)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertEqual(p.width, 320)
        XCTAssertEqual(p.height, 240)
        XCTAssertGreaterThan(p.videoFrames, 60, "about 4 s at 25 fps")
        // ffprobe reads 4 s of timestamps: more frames than that are frames sent twice (a segment fetched again).
        XCTAssertLessThanOrEqual(p.videoFrames, 4 * 25 + 3, "4 s at 25 fps: no video frame twice")
        XCTAssertGreaterThan(p.audioFrames, 100)
        XCTAssertLessThanOrEqual(p.audioFrames, 4 * 44_100 / 1024 + 4, "4 s of 44.1 kHz AAC: no audio frame twice")
        XCTAssertTrue(p.firstVideoKey)
        XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), "\(p.videoDts)")
        MediaTools.assertAligned(p, "the live pull")
        // Segments arrive in bursts of several seconds; paced frames make 4 s of stream last about as long.
        XCTAssertGreaterThan(elapsed, 2.5, "the pulled stream is paced at real time")

        // The origin goes away and comes back: the pull notices, retries with backoff and streams again.
        origin.terminate()
        origin.waitUntilExit()
        XCTAssertTrue(s.waitForLog("pull live/hls <- http://127.0.0.1:\(http)/master.m3u8: connect to 127.0.0.1:\(http) failed"), s.log)
        XCTAssertTrue(s.waitForLog("pull live/hls <- http://127.0.0.1:\(http)/master.m3u8: ended after"), s.log)
        try httpServer(dir, port: http)
        XCTAssertTrue(s.waitForLog("pulling h264+aac (live", count: 2, timeout: 15), s.log)
        let q = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/hls", seconds: 2)
        XCTAssertGreaterThan(q.videoFrames, 30, "the re-pulled stream plays")
        XCTAssertLessThanOrEqual(q.videoFrames, 2 * 25 + 3, "2 s at 25 fps: no video frame twice")
        XCTAssertTrue(MediaTools.isMonotonic(q.videoDts), "\(q.videoDts)")
        MediaTools.assertAligned(q, "the live pull after the origin's return")
    }

    func testVodWithADiscontinuityIsPlayedOnceWithContinuousTimestampsAndThenEnds() throws {
        let dir = try folder()
        // Two ffmpeg runs into one playlist: the second starts its timestamps again after an EXT-X-DISCONTINUITY.
        XCTAssertEqual(try ffmpegHls(dir, seconds: 2, realtime: false, options: ["-hls_list_size", "0", "-hls_flags", "omit_endlist"])
            .waitForExit(timeout: 20), 0)
        XCTAssertEqual(try ffmpegHls(dir, seconds: 3, realtime: false,
                                     options: ["-hls_list_size", "0", "-hls_flags", "append_list", "-hls_playlist_type", "vod"])
            .waitForExit(timeout: 20), 0)
        let playlist = try String(contentsOf: dir.appendingPathComponent("index.m3u8"), encoding: .utf8)
        XCTAssertTrue(playlist.contains("#EXT-X-DISCONTINUITY") && playlist.contains("#EXT-X-ENDLIST"), playlist)
        let http = try httpServer(dir).port
        let rtmp = freePort()
        let s = try server(rtmp: rtmp, pulls: ["vod/clip=http://127.0.0.1:\(http)/index.m3u8"])
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pulling h264+aac (VOD, target duration 1 s)"), s.log)
        let started = Date()
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/vod/clip", seconds: 8)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertGreaterThan(p.videoFrames, 90, "the player saw both parts (5 s at 25 fps, from the first GOP it got)")
        // The two runs hold 125 video frames and 217 AAC frames, all of which the player reads: a segment
        // sent twice is 25 and 43 more.
        XCTAssertLessThanOrEqual(p.videoFrames, 125, "5 s at 25 fps: no video frame twice")
        XCTAssertLessThanOrEqual(p.audioFrames, 217, "5 s of 44.1 kHz AAC: no audio frame twice")
        XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), "\(p.videoDts)")
        // The discontinuity's rebase moves both tracks by the same amount: neither overlaps itself nor leaves a hole.
        MediaTools.assertAligned(p, "across the discontinuity")
        if let first = p.videoDts.first, let last = p.videoDts.last {
            XCTAssertLessThan(last - first, 6, "no gap where the timestamps restarted")
        }
        XCTAssertTrue(s.waitForLog("segment 2: discontinuity; rebased to continue the stream"), s.log)
        XCTAssertTrue(s.waitForLog("pull vod/clip <- http://127.0.0.1:\(http)/index.m3u8: finished: the playlist ended (EXT-X-ENDLIST)"), s.log)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 3, "5 s of VOD took about 5 s to play")
        XCTAssertFalse(s.log.contains("retrying in"), "a finished VOD is not pulled again")
    }

    /// fMP4 segments (EXT-X-MAP) with B-frames: the init section is fetched once, each segment read with
    /// it, and the decode and composition times carried through to an RTMP player.
    func testFmp4SegmentsWithBFramesArePulled() throws {
        let dir = try folder()
        XCTAssertEqual(try ffmpegHls(dir, seconds: 4, realtime: false,
                                     options: ["-bf", "2", "-hls_segment_type", "fmp4", "-hls_list_size", "0", "-hls_playlist_type", "vod"])
            .waitForExit(timeout: 20), 0)
        let playlist = try String(contentsOf: dir.appendingPathComponent("index.m3u8"), encoding: .utf8)
        XCTAssertTrue(playlist.contains("#EXT-X-MAP:URI=\"init.mp4\""), playlist)
        let http = try httpServer(dir).port
        let rtmp = freePort()
        let s = try server(rtmp: rtmp, pulls: ["vod/cmaf=http://127.0.0.1:\(http)/index.m3u8"])
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("pulling h264+aac (VOD, target duration 1 s)"), s.log)
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/vod/cmaf", seconds: 6)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertEqual(p.width, 320)
        XCTAssertGreaterThan(p.videoFrames, 70, "most of 4 s at 25 fps")
        XCTAssertGreaterThan(p.audioFrames, 100)
        XCTAssertTrue(p.firstVideoKey)
        XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), "\(p.videoDts)")
        XCTAssertTrue(s.waitForLog("pull vod/cmaf <- http://127.0.0.1:\(http)/index.m3u8: finished: the playlist ended (EXT-X-ENDLIST)"), s.log)
        XCTAssertTrue(s.log.contains("0 demux errors"), s.log)
        XCTAssertEqual(s.log.components(separatedBy: "rebased").count - 1, 0, "tfdt times continue across segments: \(s.log)")
    }
}

private extension Process {
    /// The exit status, or -1 (after killing it) when it runs longer than `timeout`.
    func waitForExit(timeout: TimeInterval) -> Int32 {
        guard waitUntil(timeout: timeout, { !isRunning }) else {
            terminate()
            waitUntilExit()
            return -1
        }
        return terminationStatus
    }
}
