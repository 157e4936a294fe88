import Foundation
import XCTest

/// LL-HLS on the fMP4 playlist (parts, preload hint, blocking reloads), HLS players counted as bus readers
/// through their sessions (and refused by the play auth), and the disk copy of the playlists and segments:
/// one case each, each with its own server and publisher (about 5, 15 and 6 s).
final class LlHlsTests: XCTestCase {
    private struct Reply {
        var code = 0
        var headers = ""
        var body = Data()
        var text: String { String(decoding: body, as: UTF8.self) }
        var elapsed = 0.0
    }

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mr-llhls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func fetch(_ url: String, jar: String? = nil) throws -> Reply {
        let id = UUID().uuidString
        let bodyPath = scratch.appendingPathComponent("body-\(id)").path
        let headPath = scratch.appendingPathComponent("head-\(id)").path
        var args = ["-s", "-m", "15", "-A", "ll-test", "-o", bodyPath, "-D", headPath, "-w", "%{http_code}"]
        if let jar { args += ["-b", jar, "-c", jar] }
        let start = Date()
        let (_, out) = try runCommand("/usr/bin/curl", args + [url], timeout: 20)
        var r = Reply()
        r.elapsed = Date().timeIntervalSince(start)
        r.code = Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        r.body = (try? Data(contentsOf: URL(fileURLWithPath: bodyPath))) ?? Data()
        r.headers = (try? String(contentsOfFile: headPath, encoding: .utf8)) ?? ""
        return r
    }

    /// `hls.fmp4.<msn>.<part>.m4s` in a playlist URI.
    private func partNumbers(_ uri: Substring) -> (Int, Int)? {
        let name = uri.split(separator: "?")[0]
        let n = name.split(separator: ".")
        guard n.count == 5, n[0] == "hls", n[1] == "fmp4", let msn = Int(n[2]), let part = Int(n[3]) else { return nil }
        return (msn, part)
    }

    private func quoted(_ line: Substring, _ attribute: String) -> Substring? {
        guard let r = line.range(of: attribute + "=\"") else { return nil }
        let rest = line[r.upperBound...]
        return rest.firstIndex(of: "\"").map { rest[..<$0] }
    }

    private func sessions(_ shellPort: Int, _ stream: String) -> Int {
        let out = talk(port: shellPort, "readers \(stream)\r\nquit\r\n") ?? ""
        return out.components(separatedBy: "\"peer\" : \"127.0.0.1:").count - 1
    }

    /// A server muxing LL-HLS (1 s segments of 200 ms parts, a window of 3 and 1 kept, copied to disk) with
    /// ffmpeg publishing live/ll; `shell` adds the debug shell that lists readers.
    private struct Live {
        let server: ServerProcess, publisher: Process
        let base: String, http: Int, diskRoot: String, jar: String, shellPort: Int?
    }

    private func live(shell: Bool = false, name: String = #function) throws -> Live {
        let diskRoot = scratch.appendingPathComponent("disk").path
        let shellPort = shell ? freePort() : nil
        let shellTable = try shellPort.map { "[debugshell]\npath = \"\(try CExample.buildDebugShell())\"\nport = \($0)" } ?? ""
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000, extra: """
            [hls]
            segment_ms = 1000
            part_ms = 200
            window = 3
            keep = 1
            disk_root = "\(diskRoot)"
            [testsink]
            deny_play = ["live/denied"]
            \(shellTable)
            """, name: name)
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/ll", to: s, seconds: 60)
        XCTAssertTrue(s.waitForLog("publish /live/ll"), s.log)
        return Live(server: s, publisher: publisher, base: "http://127.0.0.1:\(http)/live/ll/", http: http, diskRoot: diskRoot,
                    jar: scratch.appendingPathComponent("cookies").path, shellPort: shellPort)
    }

    private func finish(_ l: Live) {
        l.publisher.terminate()
        XCTAssertEqual(l.server.stop(), 0, l.server.log)
    }

    /// The first request waits for the first segment and starts a session; then a few parts come.
    private func startPlaying(_ l: Live) throws {
        let first = try fetch(l.base + "hls.fmp4.m3u8", jar: l.jar)
        XCTAssertEqual(first.code, 200, first.text)
        XCTAssertTrue(first.headers.contains("mr_hls_session="), first.headers)
        usleep(2_500_000)
    }

    private func hintLine(_ playlist: String) -> Substring? {
        playlist.split(separator: "\n").last { $0.hasPrefix("#EXT-X-PRELOAD-HINT:TYPE=PART,") }
    }

    /// The segment number of the playlist's preload hint.
    private func hintedSegment(_ playlist: String) throws -> Int {
        let hint = try XCTUnwrap(hintLine(playlist), playlist)
        return try XCTUnwrap(quoted(hint, "URI").flatMap(partNumbers), String(hint)).0
    }

    func testLowLatencyPlaylistPartsAndBlockingReload() throws {
        let l = try live()
        defer { finish(l) }
        let base = l.base, jar = l.jar
        try startPlaying(l)
        let playlist = try fetch(base + "hls.fmp4.m3u8", jar: jar).text
        let lines = playlist.split(separator: "\n")
        XCTAssertTrue(lines.contains("#EXT-X-VERSION:9"), playlist)
        XCTAssertTrue(lines.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600"), playlist)
        XCTAssertTrue(lines.contains("#EXT-X-PART-INF:PART-TARGET=0.200"), playlist)
        XCTAssertTrue(playlist.contains("mr_hls_session="), "segment URIs carry the session: \(playlist)")
        let partLines = lines.filter { $0.hasPrefix("#EXT-X-PART:") }
        XCTAssertGreaterThanOrEqual(partLines.count, 5, playlist)
        for line in partLines {
            let d = line.split(separator: ",")[0].dropFirst("#EXT-X-PART:DURATION=".count)
            XCTAssertLessThanOrEqual(Double(d) ?? 99, 0.2005, "part longer than its target: \(line)")
        }
        _ = try hintedSegment(playlist)

        // The parts of a complete segment, end to end, are the segment; its first part is independent.
        var parts: [Substring] = [], complete: (uri: Substring, parts: [Substring])?
        for (i, line) in lines.enumerated() {
            if line.hasPrefix("#EXT-X-PART:"), let uri = quoted(line, "URI") { parts.append(uri) }
            if line.hasPrefix("#EXTINF:"), i + 1 < lines.count {
                if !parts.isEmpty { complete = (lines[i + 1], parts) }
                parts = []
            }
        }
        let segment = try XCTUnwrap(complete, "a segment listed with its parts: \(playlist)")
        XCTAssertTrue(partLines.first { $0.contains("\"\(segment.parts[0])\"") }?.hasSuffix(",INDEPENDENT=YES") == true, playlist)
        var joined = Data()
        for p in segment.parts {
            let r = try fetch(base + p, jar: jar)
            XCTAssertEqual(r.code, 200, String(p))
            joined += r.body
        }
        let whole = try fetch(base + segment.uri, jar: jar)
        XCTAssertEqual(whole.code, 200)
        XCTAssertGreaterThan(whole.body.count, 1000)
        XCTAssertEqual(joined, whole.body, "parts of \(segment.uri)")

        // A blocking reload for the first part of the next segment returns once it exists (at least one
        // part duration after the fresh hint), and lists it.
        let next = try hintedSegment(try fetch(base + "hls.fmp4.m3u8", jar: jar).text)
        let blocked = try fetch(base + "hls.fmp4.m3u8?_HLS_msn=\(next + 1)&_HLS_part=0", jar: jar)
        XCTAssertEqual(blocked.code, 200, blocked.text)
        XCTAssertGreaterThan(blocked.elapsed, 0.1, "it waited for the part")
        XCTAssertLessThan(blocked.elapsed, 3.0)
        XCTAssertTrue(blocked.text.contains("#EXT-X-PART:DURATION=") && blocked.text.contains("URI=\"hls.fmp4.\(next + 1).0.m4s"), blocked.text)
        // The hinted part is answered when it is complete.
        let hinted = try XCTUnwrap(blocked.text.split(separator: "\n").last { $0.hasPrefix("#EXT-X-PRELOAD-HINT:") }.flatMap { quoted($0, "URI") })
        let part = try fetch(base + hinted, jar: jar)
        XCTAssertEqual(part.code, 200)
        XCTAssertGreaterThan(part.body.count, 100)
        // Far ahead, or a part without a segment number: 400.
        XCTAssertEqual(try fetch(base + "hls.fmp4.m3u8?_HLS_msn=\(next + 10)", jar: jar).code, 400)
        XCTAssertEqual(try fetch(base + "hls.fmp4.m3u8?_HLS_part=1", jar: jar).code, 400)
    }

    /// HLS players are bus readers through their sessions: refused by the play auth before any muxing, counted
    /// once each (curl by its cookie, ffprobe, which knows no LL-HLS, by address and User-Agent over both
    /// variants), and gone when their session times out.
    func testPlayersAreSessionReadersThatTimeOut() throws {
        let l = try live(shell: true)
        defer { finish(l) }
        let shellPort = try XCTUnwrap(l.shellPort)
        XCTAssertEqual(try fetch("http://127.0.0.1:\(l.http)/live/denied/hls.fmp4.m3u8").code, 403)
        try startPlaying(l)

        // Players that do not know LL-HLS still play both variants.
        for variant in ["hls.fmp4.m3u8", "hls.m3u8"] {
            let p = try MediaTools.probe(l.base + variant, seconds: 2, timeout: 20)
            XCTAssertEqual(p.videoCodec, "h264", variant)
            XCTAssertEqual(p.audioCodec, "aac", variant)
            XCTAssertGreaterThan(p.videoFrames, 20, variant)
        }

        // Two players so far (curl with its cookie, ffprobe by address and User-Agent): two paused readers.
        XCTAssertEqual(sessions(shellPort, "live/ll"), 2, talk(port: shellPort, "readers live/ll\r\nquit\r\n") ?? "")

        // Nobody asks any more: the sessions time out (10 s) and their readers leave (the publisher goes on).
        XCTAssertTrue(waitUntil(timeout: 16) { sessions(shellPort, "live/ll") == 0 }, talk(port: shellPort, "readers live/ll\r\nquit\r\n") ?? "")
    }

    /// On disk: both playlists, the init segment, at most window + keep segments of each kind, the oldest
    /// gone; the TS playlist plays from the folder.
    func testDiskCopyKeepsTheWindowAndPlaysFromTheFolder() throws {
        let l = try live()
        defer { finish(l) }
        try startPlaying(l)
        // A few segments in, so that the oldest looked for below is one that was written.
        var msn = 0
        XCTAssertTrue(waitUntil(timeout: 10) {
            let playlist = (try? self.fetch(l.base + "hls.fmp4.m3u8", jar: l.jar).text) ?? ""
            msn = self.hintLine(playlist).flatMap { self.quoted($0, "URI") }.flatMap(self.partNumbers)?.0 ?? 0
            return msn >= 4
        }, "segment \(msn)")
        let folder = l.diskRoot + "/live/ll"
        XCTAssertTrue(waitUntil(timeout: 5) { FileManager.default.fileExists(atPath: folder + "/hls.fmp4.m3u8") }, l.server.log)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in ["hls.m3u8", "hls.fmp4.m3u8", "hls.fmp4.init.mp4"] { XCTAssertTrue(files.contains(name), "\(name) in \(files)") }
        let tsFiles = files.filter { $0.hasSuffix(".ts") }, m4sFiles = files.filter { $0.hasSuffix(".m4s") }
        XCTAssertTrue((1...4).contains(tsFiles.count), "\(files)")
        XCTAssertTrue((1...4).contains(m4sFiles.count), "\(files)")
        let oldest = folder + "/hls.\(msn - 3).ts"
        XCTAssertTrue(waitUntil(timeout: 5) { !FileManager.default.fileExists(atPath: oldest) }, "old segments are deleted: \(files)")
        let onDisk = try MediaTools.probe(folder + "/hls.m3u8", seconds: 1, timeout: 20)
        XCTAssertEqual(onDisk.videoCodec, "h264")
        XCTAssertGreaterThan(onDisk.videoFrames, 10)
    }
}
