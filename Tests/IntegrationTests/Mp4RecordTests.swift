import Foundation
import XCTest

/// MP4 recording through the mp4 plugin: always-on and on-demand (ZLMediaKit's endpoints), segment limits,
/// the record-done event, a server killed mid-file, and a disk that refuses writes.
final class Mp4RecordTests: XCTestCase {
    private func api(_ http: Int, _ path: String, line: UInt = #line) throws -> [String: Any] { try managementApi(http, path, line: line) }

    private func tempRoot() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("mr-rec-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    private func mp4Files(_ dir: URL) -> [String] {
        let e = FileManager.default.enumerator(atPath: dir.path)
        var out: [String] = []
        while let f = e?.nextObject() as? String { if f.hasSuffix(".mp4") { out.append(dir.appendingPathComponent(f).path) } }
        return out.sorted()
    }

    /// `record = [...]` records every matching publish, cutting files at keyframes every 2 s; each finished file
    /// raises the record-done event with ZLMediaKit's fields, and the files together hold every published frame.
    func testAlwaysRecordCutsSegmentsAndRaisesRecordDone() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(root.path)"
            record_segment_s = 2
            record = ["rec/*"]
            [testsink]
            log_events = true
            """)
        defer { server.stop() }
        XCTAssertTrue(server.waitForLog("plugin mp4"), server.log)
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/rec/cam", seconds: 7, bframes: 2)
        pub.waitUntilExit()
        XCTAssertTrue(server.waitForLog("event 6 rec/cam", count: 3, timeout: 15), server.log)
        XCTAssertTrue(server.waitForLog("recording __defaultVhost__/rec/cam stops", timeout: 20), server.log)

        let files = mp4Files(root)
        XCTAssertGreaterThanOrEqual(files.count, 3, "7 s in 2 s files: \(files)\n\(server.log)")
        XCTAssertTrue(waitUntil(timeout: 5) { server.log.components(separatedBy: "event 6 rec/cam").count - 1 == files.count },
                      "one record-done event per file, the last one too: \(server.log)")
        var videoFrames = 0
        for (i, f) in files.enumerated() {
            XCTAssertTrue(f.contains("/rec/cam/"), "the default template puts files under app/stream: \(f)")
            let p = try MediaTools.probe(f)
            XCTAssertEqual(p.videoCodec, "h264", f)
            XCTAssertEqual(p.audioCodec, "aac", f)
            XCTAssertTrue(p.firstVideoKey, "\(f) starts on a keyframe")
            XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), f)
            XCTAssertTrue(MediaTools.isIncreasing(p.audioDts), "\(f): \(p.audioDts.prefix(60))")
            if i < files.count - 1 {
                // 2 s at 25 fps, cut at the first keyframe (every 25 frames) after 2 s.
                XCTAssertTrue((50...75).contains(p.videoFrames), "\(f): \(p.videoFrames) frames")
                let span = (p.videoDts.last ?? 0) - (p.videoDts.first ?? 0)
                XCTAssertTrue(span >= 1.9 && span <= 3.1, "\(f) spans \(span) s")
            }
            videoFrames += p.videoFrames
        }
        // ffmpeg published 175 frames; files start at the first keyframe the recorder saw.
        XCTAssertTrue((140...175).contains(videoFrames), "recorded \(videoFrames) of 175 frames")

        let doneLines = server.log.split(separator: "\n").filter { $0.contains("event 6 rec/cam") }
        let detail = try XCTUnwrap(doneLines.first.flatMap { line in line.range(of: "{").map { String(line[$0.lowerBound...]) } })
        let fields = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any], detail)
        for name in ["file_path", "file_name", "folder", "start_time", "time_len", "file_size", "app", "stream", "vhost", "url"] {
            XCTAssertNotNil(fields[name], "on_record_mp4 field \(name) in \(detail)")
        }
        let path = try XCTUnwrap(fields["file_path"] as? String)
        XCTAssertTrue(files.contains(path), "\(path) in \(files)")
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        XCTAssertEqual((fields["file_size"] as? NSNumber)?.int64Value, size)
        let len = (fields["time_len"] as? NSNumber)?.doubleValue ?? 0
        XCTAssertTrue(len >= 1.9 && len <= 3.1, "time_len \(len)")
    }

    /// With `record_faststart`, finished files are rewritten as progressive MP4s (moov before mdat) that hold
    /// the same frames, and the record-done event gives the rewritten size.
    func testFaststartRewriteKeepsEveryFrame() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(root.path)"
            record_faststart = true
            record = ["live/*"]
            [testsink]
            log_events = true
            """)
        defer { server.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/fs", seconds: 4, bframes: 2)
        pub.waitUntilExit()
        XCTAssertTrue(server.waitForLog("event 6 live/fs", timeout: 20), server.log)
        let file = try XCTUnwrap(mp4Files(root).first, server.log)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let top = String(decoding: bytes[4..<8], as: UTF8.self) + "," + String(decoding: bytes.dropFirst(Int(bytes[0...3].reduce(0) { $0 << 8 | UInt32($1) }) + 4).prefix(4), as: UTF8.self)
        XCTAssertEqual(top, "ftyp,moov", "faststart layout")
        XCTAssertFalse(bytes.contains("moof".data(using: .ascii)!), "no fragments left")
        let p = try MediaTools.probe(file)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertTrue((60...100).contains(p.videoFrames), "\(p.videoFrames) frames")
        XCTAssertTrue(server.log.contains("\"file_size\":\(bytes.count)"), "the event gives the rewritten size \(bytes.count)")
        XCTAssertEqual(mp4Files(root).count, 1, "no temporary file left")
    }

    /// startRecord / isRecording / stopRecord / getMP4RecordFile as ZLMediaKit answers them; the file written
    /// survives `kill -9` of the server mid-recording and still plays.
    func testOnDemandRecordingSurvivesKillNine() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(root.path)"
            """)
        defer { server.stop() }
        XCTAssertTrue(server.waitForLog("plugin mp4"), server.log)
        XCTAssertEqual(try api(http, "isRecording?app=live&stream=cam")["status"] as? Bool, false)
        XCTAssertEqual(try api(http, "startRecord?type=1&app=live")["code"] as? Int, -300, "missing stream")
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 20)
        defer { pub.terminate() }
        XCTAssertTrue(server.waitForLog("publish", timeout: 10), server.log)
        let started = try api(http, "startRecord?type=1&vhost=__defaultVhost__&app=live&stream=cam")
        XCTAssertEqual(started["code"] as? Int, 0, "\(started)")
        XCTAssertEqual(started["result"] as? Bool, true, "\(started)")
        XCTAssertEqual(try api(http, "isRecording?app=live&stream=cam")["status"] as? Bool, true)
        XCTAssertTrue(server.waitForLog("recording __defaultVhost__/live/cam into"), server.log)
        sleep(4)

        let listing = try api(http, "getMP4RecordFile?app=live&stream=cam")
        let data = try XCTUnwrap(listing["data"] as? [String: Any], "\(listing)")
        let days = try XCTUnwrap(data["paths"] as? [String], "\(listing)")
        XCTAssertEqual(days.count, 1, "one day folder: \(listing)")
        let day = try XCTUnwrap(days.first)
        let inDay = try api(http, "getMP4RecordFile?app=live&stream=cam&period=\(day)")
        let names = try XCTUnwrap((inDay["data"] as? [String: Any])?["paths"] as? [String], "\(inDay)")
        XCTAssertEqual(names.count, 1, "\(inDay)")

        server.signal(SIGKILL)
        server.process.waitUntilExit()
        let files = mp4Files(root)
        XCTAssertEqual(files.count, 1, "\(files)")
        let p = try MediaTools.probe(try XCTUnwrap(files.first))
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertEqual(p.audioCodec, "aac")
        XCTAssertTrue(p.firstVideoKey)
        // About 4 s were written, less the last half second still queued when the process died.
        XCTAssertTrue((60...130).contains(p.videoFrames), "\(p.videoFrames) frames decoded from the cut file")
    }

    /// max_recordings = 1: a second recording is refused with ZLMediaKit's answer until the first stops.
    func testMaxRecordingsRefusesTheOneTooMany() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(root.path)"
            max_recordings = 1
            """)
        defer { server.stop() }
        let a = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 15)
        defer { a.terminate() }
        let b = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/b", seconds: 15)
        defer { b.terminate() }
        XCTAssertTrue(server.waitForLog("publish /live/a") && server.waitForLog("publish /live/b"), server.log)
        XCTAssertEqual(try api(http, "startRecord?type=1&app=live&stream=a")["result"] as? Bool, true)
        let refused = try api(http, "startRecord?type=1&app=live&stream=b")
        XCTAssertEqual(refused["result"] as? Bool, false, "\(refused)")
        XCTAssertEqual(refused["msg"] as? String, "too many recordings", "\(refused)")
        XCTAssertNotEqual(refused["code"] as? Int, 0, "\(refused)")
        XCTAssertEqual(try api(http, "isRecording?app=live&stream=b")["status"] as? Bool, false)
        XCTAssertTrue(server.log.contains("recording __defaultVhost__/live/b refused: 1 recordings run"), server.log)

        XCTAssertEqual(try api(http, "stopRecord?app=live&stream=a")["result"] as? Bool, true)
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.api(http, "startRecord?type=1&app=live&stream=b"))?["result"] as? Bool == true })
        XCTAssertTrue(server.waitForLog("recording __defaultVhost__/live/b into", timeout: 10), server.log)
    }

    /// A disk that fills up (a 128 KiB tmpfs) and a root that is not a directory: the recording stops with an
    /// error and the record-done event, and the stream itself plays on. Where the machine does not let the
    /// test mount (a container without the capability), a file size limit on the server (`prlimit --fsize`)
    /// makes the same write fail, with EFBIG instead of ENOSPC.
    func testWriteFailuresStopTheRecordingNotTheStream() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let root = tempRoot()
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let small = root.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mounted = (try? runCommand("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=128k", "tmpfs", small.path], timeout: 10))?.0 == 0
        defer { if mounted { _ = try? runCommand("/usr/bin/umount", ["-l", small.path], timeout: 10) } }
        // The server log is a regular file too; it stays far below the limit.
        let launcher = mounted ? [] : ["/usr/bin/prlimit", "--fsize=131072", "--"]
        let failure = mounted ? "No space left on device" : "File too large"
        try Data("not a folder".utf8).write(to: small.appendingPathComponent("file"))
        let server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(small.path)"
            [testsink]
            log_events = true
            """, launcher: launcher)
        defer { server.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 12)
        defer { pub.terminate() }
        XCTAssertTrue(server.waitForLog("publish", timeout: 10), server.log)
        XCTAssertEqual(try api(http, "startRecord?type=1&app=live&stream=cam")["code"] as? Int, 0)
        XCTAssertTrue(server.waitForLog(failure, timeout: 15), server.log)
        XCTAssertTrue(server.waitForLog("event 6 live/cam", timeout: 5), server.log)
        XCTAssertTrue(server.log.contains("\"error\""), "the record-done event carries the error: \(server.log)")
        XCTAssertTrue(waitUntil(timeout: 5) { (try? self.api(http, "isRecording?app=live&stream=cam")["status"] as? Bool) == false })

        // A root under a file cannot be created.
        XCTAssertEqual(try api(http, "startRecord?type=1&app=live&stream=cam&customized_path=file")["code"] as? Int, 0)
        XCTAssertTrue(server.waitForLog("cannot create", timeout: 10), server.log)

        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 2)
        XCTAssertEqual(p.videoCodec, "h264", "the stream still plays")
        XCTAssertGreaterThan(p.videoFrames, 20)
    }
}
