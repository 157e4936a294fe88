import Foundation
import XCTest

/// What a browser does with our streams: headless Chromium (Debian's `chromium`, installed by
/// `scripts/install-deps.sh --test`) loads `Clients/mse_player.html` from the server's own static root (same
/// origin) and plays the HTTP-fMP4 live stream and the fMP4 HLS variant in a `<video>` element through Media
/// Source Extensions, and fMP4 HLS through its native HLS player; the page reports the decoded frame count
/// (`getVideoPlaybackQuality`) and how far `currentTime` moved. MSE is strict about box layout, timestamps
/// and codec strings where ffprobe is lenient.
final class ChromiumTests: XCTestCase {
    static let chromium = "/usr/bin/chromium"
    static let clients = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients").path

    /// Three seconds of 25 fps video decoded and played: the page waits for this before it reports.
    static let wantFrames = 75
    static let wantAdvance = 3.0

    func testHttpFmp4PlaysInChromiumThroughMse() throws {
        guard Self.chromiumInstalled() else { return }
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: "www_root = \"\(Self.clients)\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publishers = try MediaTools.publishRtmpAndRtsp(to: s, rtmp: rtmp, rtsp: rtsp, seconds: 40)
        defer { publishers.forEach { $0.terminate() } }

        for stream in ["a", "b"] {
            let r = try Self.play(http: http, mode: "fmp4", src: "/live/\(stream).live.mp4")
            r.assertPlayed("HTTP-fMP4 /live/\(stream)")
            XCTAssertEqual(r.string("codecs")?.hasPrefix("avc1."), true, r.raw)
            XCTAssertEqual(r.string("codecs")?.hasSuffix(",mp4a.40.2"), true, r.raw)
        }
        XCTAssertTrue(s.log.contains("over HTTP-fMP4"), s.log)
    }

    func testFmp4HlsPlaysInChromiumThroughMseAndNatively() throws {
        guard Self.chromiumInstalled() else { return }
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http,
                                          extra: "www_root = \"\(Self.clients)\"\n[hls]\nsegment_ms = 1000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 40, bframes: 2)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        // The page's own loader: playlist, EXT-X-MAP init, segments in order, playlist reloads.
        let mse = try Self.play(http: http, mode: "hls", src: "/live/a/hls.fmp4.m3u8")
        mse.assertPlayed("fMP4 HLS through MSE")
        XCTAssertGreaterThanOrEqual(mse.int("segments") ?? 0, 2, mse.raw)

        // Chromium's built-in HLS player (canPlayType says "maybe" since it has one) reads the same playlist.
        let native = try Self.play(http: http, mode: "native", src: "/live/a/hls.fmp4.m3u8")
        native.assertPlayed("fMP4 HLS in Chromium's native player")
    }

    // MARK: - Driving Chromium

    static func chromiumInstalled(file: StaticString = #filePath, line: UInt = #line) -> Bool {
        // Not a skip: install-deps.sh --test installs it, so its absence is a broken test machine.
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            XCTFail("\(chromium) is missing; run scripts/install-deps.sh --test", file: file, line: line)
            return false
        }
        return true
    }

    /// What the page reported, as parsed JSON and as the raw line for failure messages.
    struct PageResult {
        let raw: String
        let json: [String: Any]

        func string(_ key: String) -> String? { json[key] as? String }
        func int(_ key: String) -> Int? { (json[key] as? NSNumber)?.intValue }
        func double(_ key: String) -> Double? { (json[key] as? NSNumber)?.doubleValue }

        func assertPlayed(_ what: String, file: StaticString = #filePath, line: UInt = #line) {
            let why = "\(what): page reported \(raw)"
            print("Chromium, \(what): \(int("frames") ?? -1) frames decoded (\(int("dropped") ?? -1) dropped), currentTime advanced "
                  + "\(double("advanced") ?? -1) s in \(double("elapsed") ?? -1) s, codecs \(string("codecs") ?? "-")")
            XCTAssertEqual(string("status"), "ok", why, file: file, line: line)
            XCTAssertGreaterThanOrEqual(int("frames") ?? -1, ChromiumTests.wantFrames, why, file: file, line: line)
            XCTAssertGreaterThanOrEqual(double("advanced") ?? -1, ChromiumTests.wantAdvance, why, file: file, line: line)
            XCTAssertEqual(int("videoWidth"), 320, why, file: file, line: line)
            XCTAssertEqual((json["errors"] as? [Any])?.count, 0, why, file: file, line: line)
            XCTAssertTrue(json["mediaError"] is NSNull, why, file: file, line: line)
        }
    }

    /// Runs headless Chromium on the test page until it prints its result to the console, then stops it.
    /// Chromium runs in real time: `--dump-dom` with `--virtual-time-budget` lets virtual time outrun the
    /// network, and the page then reports no decoded frames at all.
    static func play(http: Int, mode: String, src: String, pageTimeout: Int = 15) throws -> PageResult {
        try run(page: "http://127.0.0.1:\(http)/mse_player.html?mode=\(mode)&src=\(src)"
                + "&frames=\(wantFrames)&advance=\(wantAdvance)&timeout=\(pageTimeout)", marker: "MSE-RESULT ", pageTimeout: pageTimeout)
    }

    /// Loads `page` and waits for the console line starting with `marker`, followed by the page's JSON result.
    /// `launcher` runs Chromium under another command (a network namespace's nsenter).
    static func run(page: String, marker: String, flags: [String] = [], launcher: [String] = [], pageTimeout: Int) throws -> PageResult {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("mr-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        let logURL = profile.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: launcher.first ?? chromium)
        p.arguments = (launcher.isEmpty ? [] : Array(launcher.dropFirst()) + [chromium]) + [
            "--headless=new",
            "--no-sandbox",  // the tests run as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--autoplay-policy=no-user-gesture-required", "--mute-audio",
            "--enable-logging=stderr",  // console.log lines appear as INFO:CONSOLE, which is how the page reports
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
        ] + flags + [page]
        p.standardOutput = log
        p.standardError = log
        try p.run()
        defer { stop(p) }

        var output = ""
        var line: Substring?
        _ = waitUntil(timeout: TimeInterval(pageTimeout + 10)) {
            output = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            line = output.split(separator: "\n").first { $0.contains(marker) }
            return line != nil || !p.isRunning
        }
        let tail = output.split(separator: "\n").filter { !$0.contains("dbus") }.suffix(20).joined(separator: "\n")
        guard let line, let start = line.range(of: marker),
              let end = line.range(of: "\", source: ", options: .backwards), start.upperBound <= end.lowerBound else {
            throw NSError(domain: "chromium", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "no result from the page \(page) (chromium \(p.isRunning ? "still running" : "exited")); its log:\n\(tail)"])
        }
        let raw = String(line[start.upperBound..<end.lowerBound])
        guard let json = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
            throw NSError(domain: "chromium", code: 2, userInfo: [NSLocalizedDescriptionKey: "unreadable result: \(raw)"])
        }
        return PageResult(raw: raw, json: json)
    }

    /// SIGTERM, then SIGKILL if it lingers; its renderer and GPU processes exit with it.
    private static func stop(_ p: Process) {
        guard p.isRunning else { return }
        p.terminate()
        if !waitUntil(timeout: 5, { !p.isRunning }) {
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
    }
}
