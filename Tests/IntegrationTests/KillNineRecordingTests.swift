import Foundation
import XCTest

/// `kill -9` of the server while it writes HLS to disk (`[hls] disk_root`) or records MP4: what it leaves plays
/// up to its last complete segment or fragment, and a server started again on the same folder records the
/// stream again beside the leftovers.
final class KillNineRecordingTests: XCTestCase {
    private func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-kill9-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The media playlist's segment names and the sum of their EXTINF durations.
    private func listed(_ playlist: String) -> (names: [String], seconds: Double) {
        var names: [String] = [], seconds = 0.0
        for line in playlist.split(separator: "\n") {
            if line.hasPrefix("#EXTINF:") { seconds += Double(line.dropFirst("#EXTINF:".count).prefix { $0 != "," }) ?? 0 }
            else if !line.hasPrefix("#") { names.append(String(line.split(separator: "?")[0])) }
        }
        return (names, seconds)
    }

    /// Plays a live playlist of the folder as it stands: a copy closed with `#EXT-X-ENDLIST` (the live one would be
    /// reloaded for ever by ffprobe, and a killed server never adds to it).
    private func probeAsItStands(_ folder: String, _ playlist: String) throws -> MediaTools.Probe {
        let copy = folder + "/check-" + playlist
        try (try String(contentsOfFile: folder + "/" + playlist, encoding: .utf8) + "#EXT-X-ENDLIST\n").write(toFile: copy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        return try MediaTools.probe(copy, timeout: 20, extra: ["-allowed_extensions", "ALL"])
    }

    private func sequenceNumber(_ name: String) -> Int { Int(name.split(separator: ".").dropLast().last ?? "") ?? -1 }

    private func startHls(_ root: String, name: String = #function) throws -> (ServerProcess, Int, Int) {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [hls]
            segment_ms = 1000
            window = 3
            keep = 1
            disk_root = "\(root)"
            """, name: name)
        return (s, rtmp, http)
    }

    /// Publishes live/cam, asks for both playlists (the first request starts the muxer), and waits until the
    /// TS playlist on disk lists `segments` segments.
    private func recordHls(_ s: ServerProcess, rtmp: Int, http: Int, folder: String, segments: Int) throws -> Process {
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 30)
        XCTAssertTrue(s.waitForLog("publish /live/cam"), s.log)
        for variant in ["hls.m3u8", "hls.fmp4.m3u8"] {
            let (rc, out) = try runCommand("/usr/bin/curl", ["-s", "-f", "--max-time", "10", "http://127.0.0.1:\(http)/live/cam/\(variant)"], timeout: 15)
            XCTAssertEqual(rc, 0, out)
        }
        XCTAssertTrue(waitUntil(timeout: Double(segments) + 6) {
            self.listed((try? String(contentsOfFile: folder + "/hls.m3u8", encoding: .utf8)) ?? "").names.count >= segments
        }, "segments on disk: \((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])\n\(s.log)")
        return publisher
    }

    func testHlsOnDiskPlaysAfterKillNineAndANewServerRecordsBesideTheLeftovers() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("hls").path, folder = root + "/live/cam"

        let (first, rtmp1, http1) = try startHls(root)
        let publisher1 = try recordHls(first, rtmp: rtmp1, http: http1, folder: folder, segments: 3)
        defer { publisher1.terminate() }
        first.signal(SIGKILL)
        first.process.waitUntilExit()

        // What the killed server left: each playlist names only segments that are there, whole (written under a
        // temporary name, renamed when complete), and plays for about what its EXTINFs say.
        let leftTs = listed(try String(contentsOfFile: folder + "/hls.m3u8", encoding: .utf8))
        let leftFmp4 = listed(try String(contentsOfFile: folder + "/hls.fmp4.m3u8", encoding: .utf8))
        XCTAssertGreaterThanOrEqual(leftTs.names.count, 3)
        XCTAssertGreaterThanOrEqual(leftFmp4.names.count, 3)
        for name in leftTs.names + leftFmp4.names {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name) listed but missing")
        }
        for name in leftTs.names {
            // 1 s segments cut at the keyframe (every 25 frames at 25 fps): 25 frames, or 50 for the first one
            // when the muxer began just after a keyframe.
            let p = try MediaTools.probe(folder + "/" + name)
            XCTAssertEqual(p.videoCodec, "h264", name)
            XCTAssertTrue(p.firstVideoKey, "\(name) starts on a keyframe")
            XCTAssertTrue((20...55).contains(p.videoFrames), "\(name): \(p.videoFrames) frames")
        }
        for (playlist, list) in [("hls.m3u8", leftTs), ("hls.fmp4.m3u8", leftFmp4)] {
            let p = try probeAsItStands(folder, playlist)
            let expected = list.seconds * 25
            XCTAssertTrue(p.videoFrames >= Int(expected * 0.9) && p.videoFrames <= Int(expected * 1.1) + 1,
                          "\(playlist): \(p.videoFrames) frames for \(list.seconds) s listed")
            XCTAssertTrue(MediaTools.isIncreasing(p.videoDts), playlist)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
        let lastOld = (leftTs.names + leftFmp4.names).map(sequenceNumber).max() ?? 0
        var oldSizes: [String: Int] = [:]
        for name in leftovers { oldSizes[name] = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? -1 }

        // A new server on the same folder: new segments, numbered after the old ones (a player of the folder
        // must never see a number again), the first one marked as a discontinuity; the old segments untouched.
        let (second, rtmp2, http2) = try startHls(root)
        defer { XCTAssertEqual(second.stop(), 0, second.log) }
        let publisher2 = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp2)/live/cam", seconds: 30)
        defer { publisher2.terminate() }
        XCTAssertTrue(second.waitForLog("publish /live/cam"), second.log)
        let (rc, out) = try runCommand("/usr/bin/curl", ["-s", "-f", "--max-time", "10", "http://127.0.0.1:\(http2)/live/cam/hls.m3u8"], timeout: 15)
        XCTAssertEqual(rc, 0, out)
        var fresh: (names: [String], seconds: Double) = ([], 0)
        XCTAssertTrue(waitUntil(timeout: 8) {
            fresh = self.listed((try? String(contentsOfFile: folder + "/hls.m3u8", encoding: .utf8)) ?? "")
            return fresh.names.count >= 2 && fresh.names.allSatisfy { self.sequenceNumber($0) > lastOld }
        }, "new segments after \(lastOld): \(fresh.names)\n\(second.log)")
        XCTAssertTrue(try String(contentsOfFile: folder + "/hls.m3u8", encoding: .utf8).contains("#EXT-X-DISCONTINUITY"))
        let replayed = try probeAsItStands(folder, "hls.m3u8")
        XCTAssertTrue(Double(replayed.videoFrames) >= fresh.seconds * 25 * 0.9, "\(replayed.videoFrames) frames for \(fresh.seconds) s")
        for (name, size) in oldSizes where name.hasSuffix(".ts") || name.hasSuffix(".m4s") {
            let now = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? -1
            XCTAssertTrue(now == size || now == -1, "\(name) of the killed server was rewritten (\(size) -> \(now) bytes)")
        }
        XCTAssertFalse(second.log.contains("HLS to disk:"), "disk errors on the leftovers:\n\(second.log)")
    }

    func testMp4RecordingCutByKillNinePlaysAndANewServerRecordsANewFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("rec").path
        func start(_ name: String = #function) throws -> (ServerProcess, Int, Int) {
            let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
            let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
                [mp4]
                record_root = "\(root)"
                record_path = "{app}/{stream}/{epoch}.mp4"
                record = ["live/*"]
                """, name: name)
            return (s, rtmp, http)
        }
        func files() -> [String] {
            ((try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []).filter { $0.hasSuffix(".mp4") }.sorted()
        }

        let (first, rtmp1, _) = try start()
        let publisher1 = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp1)/live/cam", seconds: 30)
        defer { publisher1.terminate() }
        XCTAssertTrue(first.waitForLog("recording __defaultVhost__/live/cam into"), first.log)
        let recordedFor = 3.0
        usleep(UInt32(recordedFor * 1_000_000))
        first.signal(SIGKILL)
        first.process.waitUntilExit()
        let cut = try XCTUnwrap(files().first, "no file left")
        let cutPath = root + "/" + cut
        let cutSize = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: cutPath)[.size] as? Int)
        let p = try MediaTools.probe(cutPath)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertTrue(p.firstVideoKey)
        // Fragments are flushed every half second: what was written is the 3 s less at most a second.
        XCTAssertTrue(Double(p.videoFrames) >= (recordedFor - 1.2) * 25 && Double(p.videoFrames) <= (recordedFor + 0.5) * 25,
                      "\(p.videoFrames) frames in the cut file after \(recordedFor) s")

        let (second, rtmp2, http2) = try start()
        defer { XCTAssertEqual(second.stop(), 0, second.log) }
        let publisher2 = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp2)/live/cam", seconds: 3)
        publisher2.waitUntilExit()
        XCTAssertTrue(second.waitForLog("recording __defaultVhost__/live/cam stops", timeout: 10), second.log)
        let now = files()
        XCTAssertEqual(now.count, 2, "\(now)")
        let fresh = try XCTUnwrap(now.first { $0 != cut })
        let q = try MediaTools.probe(root + "/" + fresh)
        XCTAssertTrue((60...80).contains(q.videoFrames), "\(q.videoFrames) frames of a 3 s publish")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: cutPath)[.size] as? Int, cutSize, "the cut file was touched")
        let listing = try managementApi(http2, "getMP4RecordFile?app=live&stream=cam")
        XCTAssertEqual((listing["code"] as? NSNumber)?.intValue, 0, "\(listing)")
    }
}
