import Foundation
import XCTest

/// MP4 files played as streams (the mp4 plugin's VOD): every protocol plays them, at real time, and an RTSP
/// seek lands within one GOP of the time asked for; vod_app names their app.
final class Mp4VodTests: XCTestCase {
    /// A 20 s file whose picture brightness tells the time: luma = floor(10 * t), so a decoded frame says
    /// where in the file it comes from. GOP 25 frames (1 s) with B-frames, plus AAC.
    private func makeClock(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("clock.mp4").path
        let (status, out) = try runCommand("/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "color=c=black:s=160x120:r=25,geq=lum='min(255\\,floor(T*10))':cb=128:cr=128",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "20",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "2",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", path], timeout: 60)
        XCTAssertEqual(status, 0, out)
        return path
    }

    /// The file time of the first picture ffmpeg decodes from `url` (its brightness), with `-ss` before the input.
    private func firstPictureTime(_ url: String, seek: Double) throws -> Double? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        p.arguments = ["-hide_banner", "-loglevel", "error", "-noaccurate_seek", "-ss", String(seek), "-rtsp_transport", "tcp",
                       "-i", url, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard data.count == 160 * 120 else { return nil }
        let mean = Double(data.reduce(0) { $0 + Int($1) }) / Double(data.count)
        // gray is full range: Y = gray * 219 / 255 + 16, and Y = 10 t.
        return (mean * 219 / 255 + 16) / 10
    }

    /// A server playing the files of a fresh vod_root: clock.mp4 (20 s) and junk.mp4 (not an MP4).
    private struct Vod {
        let server: ServerProcess
        let rtmp: Int, rtsp: Int, http: Int
        let root: URL
    }

    private func vodServer(name: String = #function) throws -> Vod {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mr-vod-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try clock(), toPath: root.appendingPathComponent("clock.mp4").path)
        try Data("not an mp4 at all".utf8).write(to: root.appendingPathComponent("junk.mp4"))
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 1500, extra: """
            [mp4]
            vod_root = "\(root.path)"
            [hls]
            """, name: name)
        XCTAssertTrue(server.waitForLog("plugin mp4"), server.log)
        return Vod(server: server, rtmp: rtmp, rtsp: rtsp, http: http, root: root)
    }

    private func finish(_ v: Vod) {
        v.server.stop()
        try? FileManager.default.removeItem(at: v.root)
    }

    /// clock.mp4, made once per run.
    private func clock() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-vod-\(getpid())-clock")
        let path = dir.appendingPathComponent("clock.mp4").path
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            _ = try makeClock(in: dir)
        }
        return path
    }

    func testVodPlaysAtRealTimeOverHttpFlvRtmpAndHls() throws {
        let v = try vodServer()
        defer { finish(v) }
        // Real time: 3 s of the stream take about 3 s, and hold about 75 frames.
        let start = Date()
        let flv = try MediaTools.probe("http://127.0.0.1:\(v.http)/vod/clock.mp4.live.flv", seconds: 3)
        let took = Date().timeIntervalSince(start)
        XCTAssertEqual(flv.videoCodec, "h264")
        XCTAssertEqual(flv.audioCodec, "aac")
        XCTAssertTrue(flv.firstVideoKey)
        // ffprobe reads 3 s of the player's timeline (which starts at the cached keyframe): more frames than 3 s
        // hold are frames sent twice.
        XCTAssertTrue((60...(3 * 25 + 3)).contains(flv.videoFrames), "\(flv.videoFrames) frames in 3 s of HTTP-FLV")
        XCTAssertGreaterThan(took, 2.0, "paced: 3 s of stream are not delivered at once")
        XCTAssertTrue(MediaTools.isMonotonic(flv.videoDts))
        XCTAssertTrue(MediaTools.isIncreasing(flv.audioDts), "\(flv.audioDts.prefix(60))")
        XCTAssertTrue((110...(3 * 44_100 / 1024 + 4)).contains(flv.audioFrames), "\(flv.audioFrames) AAC frames in 3 s")
        MediaTools.assertAligned(flv, "VOD over HTTP-FLV")

        let overRtmp = try MediaTools.probe("rtmp://127.0.0.1:\(v.rtmp)/vod/clock.mp4", seconds: 2)
        XCTAssertEqual(overRtmp.videoCodec, "h264", "ffmpeg asks for mp4:clock.mp4")
        XCTAssertEqual(overRtmp.audioCodec, "aac")
        XCTAssertGreaterThan(overRtmp.videoFrames, 30)
        let hls = try MediaTools.probe("http://127.0.0.1:\(v.http)/vod/clock.mp4/hls.m3u8", seconds: 2)
        XCTAssertEqual(hls.videoCodec, "h264")
        XCTAssertGreaterThan(hls.videoFrames, 20)
    }

    func testVodOverRtspAnnouncesItsLengthAndSeeksToKeyframes() throws {
        let v = try vodServer()
        defer { finish(v) }
        // RTSP: the SDP announces the length, and a seek lands on the keyframe at or before the time asked for.
        let sdp = try XCTUnwrap(talk(port: v.rtsp, "DESCRIBE rtsp://127.0.0.1:\(v.rtsp)/vod/clock.mp4 RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
        XCTAssertTrue(sdp.contains("a=range:npt=0.000-19.9") || sdp.contains("a=range:npt=0.000-20.0"), "a 20 s file: \(sdp)")
        for seek in [10.0, 4.5, 15.2] {
            let t = try XCTUnwrap(try firstPictureTime("rtsp://127.0.0.1:\(v.rtsp)/vod/clock.mp4", seek: seek), "seek \(seek)")
            XCTAssertTrue(t >= seek - 1.2 && t <= seek + 0.2, "a seek to \(seek) s shows the picture of \(t) s\n\(v.server.log)")
        }
        // After a seek over RTSP (ffprobe seeks to 10 s, a keyframe, and reads 2 s) both tracks go on without a
        // hole or a repeated stamp. A constant offset between them is invisible here: ffmpeg puts each RTP
        // track's first packet at the Range start. The HTTP-FLV player across seekRecordStamp (its own case) sees one.
        let sought = try MediaTools.probe("rtsp://127.0.0.1:\(v.rtsp)/vod/clock.mp4", seconds: 2, from: 10, extra: ["-rtsp_transport", "tcp"])
        MediaTools.assertAligned(sought, "RTSP after a seek to 10 s")
        XCTAssertLessThanOrEqual(sought.videoFrames, 2 * 25 + 3, "2 s at 25 fps after the seek: no video frame twice")
        XCTAssertLessThanOrEqual(sought.audioFrames, 2 * 44_100 / 1024 + 4, "2 s of AAC after the seek: no audio frame twice")
        // Without a seek the picture comes from the start of the file... or from wherever the shared stream is now:
        // what matters is that no seek leaves the player waiting.
        XCTAssertNotNil(try firstPictureTime("rtsp://127.0.0.1:\(v.rtsp)/vod/clock.mp4", seek: 0))
    }

    func testSeekRecordStampMovesAPlayingHttpFlvPlayerOnWithBothTracks() throws {
        let v = try vodServer()
        defer { finish(v) }
        // ZLMediaKit's seek endpoint, called while an HTTP-FLV player plays: the player's timeline goes on across
        // the seek, both tracks moved together.
        let seeker = Process()
        seeker.executableURL = URL(fileURLWithPath: "/bin/sh")
        seeker.arguments = ["-c", "sleep 1.5; curl -s --max-time 10 'http://127.0.0.1:\(v.http)/index/api/seekRecordStamp?app=vod&stream=clock.mp4&stamp=12000'"]
        let seekOut = Pipe()
        seeker.standardOutput = seekOut
        try seeker.run()
        let acrossSeek = try MediaTools.probe("http://127.0.0.1:\(v.http)/vod/clock.mp4.live.flv", seconds: 3)
        seeker.waitUntilExit()
        let seekReply = String(decoding: seekOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(v.server.log.contains("seek to 12000 ms lands on 12000 ms"), v.server.log)
        MediaTools.assertAligned(acrossSeek, "HTTP-FLV across seekRecordStamp")
        XCTAssertLessThanOrEqual(acrossSeek.videoFrames, 3 * 25 + 3, "3 s at 25 fps: no video frame twice")
        XCTAssertLessThanOrEqual(acrossSeek.audioFrames, 3 * 44_100 / 1024 + 4, "3 s of AAC: no audio frame twice")
        XCTAssertTrue(seekReply.contains("\"code\":0") && seekReply.contains("\"stamp\":12000"), seekReply)
    }

    /// Clear errors for files that are not there or not MP4.
    func testMissingAndNonMp4FilesAreRefusedWithTheReasonLogged() throws {
        let v = try vodServer()
        defer { finish(v) }
        let (_, missingSeek) = try runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(v.http)/index/api/seekRecordStamp?app=vod&stream=none.mp4&stamp=1"], timeout: 10)
        XCTAssertTrue(missingSeek.contains("\"code\":-500"), missingSeek)
        // The player is told the stream is not there; the log says why, file by file. (Names that would leave
        // vod_root: PathTraversalTests.)
        for name in ["none.mp4", "junk.mp4"] {
            let refused = MediaTools.probeFailure("rtmp://127.0.0.1:\(v.rtmp)/vod/\(name)")
            XCTAssertTrue(refused?.contains("Server error: No such stream: vod/\(name)") == true, "\(name): \(refused ?? "it played")")
        }
        XCTAssertTrue(v.server.log.contains("VOD vod/none.mp4: no file \(v.root.path)/none.mp4"), v.server.log)
        XCTAssertTrue(v.server.log.contains("VOD vod/junk.mp4: \(v.root.path)/junk.mp4: "), v.server.log)
    }

    /// A new folder holding short.mp4, a 1 s file (H.264 with a keyframe each second, AAC).
    private func makeShort() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mr-vod-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let (status, out) = try runCommand("/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "1",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
            root.appendingPathComponent("short.mp4").path], timeout: 60)
        XCTAssertEqual(status, 0, out)
        return root
    }

    /// vod_app = "films": the file plays as films/short.mp4, and vod/short.mp4 is no stream.
    func testVodAppNamesTheAppOfTheFiles() throws {
        let root = try makeShort()
        defer { try? FileManager.default.removeItem(at: root) }
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 1000, extra: """
            [mp4]
            vod_root = "\(root.path)"
            vod_app = "films"
            """)
        defer { server.stop() }
        XCTAssertTrue(server.waitForLog("plugin mp4"), server.log)
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/films/short.mp4", seconds: 0.5, timeout: 10)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertGreaterThan(p.videoFrames, 5)
        let refused = MediaTools.probeFailure("rtmp://127.0.0.1:\(rtmp)/vod/short.mp4")
        XCTAssertTrue(refused?.contains("No such stream: vod/short.mp4") == true, refused ?? "vod/short.mp4 played")
    }

    /// vod_loop: a 1 s file plays on past its end with timestamps that keep going forward; without it the
    /// stream ends with the file.
    func testVodLoopStartsTheFileOver() throws {
        let root = try makeShort()
        defer { try? FileManager.default.removeItem(at: root) }
        for loop in [true, false] {
            let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
            let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 1500, extra: """
                [mp4]
                vod_root = "\(root.path)"
                vod_loop = \(loop)
                """)
            defer { server.stop() }
            XCTAssertTrue(server.waitForLog("plugin mp4"), server.log)
            let p = try MediaTools.probe("http://127.0.0.1:\(http)/vod/short.mp4.live.flv", seconds: 3, timeout: 10)
            if loop {
                XCTAssertTrue((60...90).contains(p.videoFrames), "3 s of a looped 1 s file: \(p.videoFrames) frames")
                XCTAssertTrue(MediaTools.isIncreasing(p.videoDts), "timestamps go on across the loop: \(p.videoDts)")
                XCTAssertTrue(MediaTools.isIncreasing(p.audioDts), "\(p.audioDts)")
                XCTAssertGreaterThan(p.videoDts.last ?? 0, 2.0, "\(p.videoDts)")
            } else {
                XCTAssertTrue((20...26).contains(p.videoFrames), "the 1 s file once: \(p.videoFrames) frames")
                XCTAssertTrue(server.log.contains("VOD vod/short.mp4: end of file"), server.log)
            }
        }
    }

    /// A recording made by the mp4 plugin plays back as VOD (the recorder's fragmented files are readable).
    func testRecordingPlaysBackAsVod() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mr-vod-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(root.path)"
            record_path = "{app}/{stream}.mp4"
            record = ["live/*"]
            """)
        defer { server.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 4, bframes: 2)
        pub.waitUntilExit()
        XCTAssertTrue(server.waitForLog("recording __defaultVhost__/live/cam stops", timeout: 20), server.log)
        // vod_root defaults to record_root: vod/live/cam.mp4 is the file just written.
        let p: MediaTools.Probe
        do { p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/vod/live/cam.mp4", seconds: 2, extra: ["-rtsp_transport", "tcp"]) } catch { return XCTFail("\(error)\n\(server.log)") }
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertGreaterThan(p.videoFrames, 30)
    }
}
