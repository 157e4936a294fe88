import Foundation
import XCTest

/// The built-in web console (httpmux's `console` folder, served at `/` with the default settings) in
/// headless Chromium, driven over DevTools: the stream list, the MSE player, a plugin disabled from the
/// page, and the secret prompt. Each test leaves screenshots of the pages it saw in its server's folder.
final class ConsoleTests: XCTestCase {
    private func started(extra: String = "", name: String = #function) throws -> (ServerProcess, rtmp: Int, rtsp: Int, http: Int) {
        let rtmp = freePort(), rtsp = freePort(), http = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: extra, name: name)
        XCTAssertTrue(s.waitForLog("plugin httpmux"), s.log)
        return (s, rtmp, rtsp, http)
    }

    private func shoot(_ page: DevToolsSession, _ s: ServerProcess, _ name: String, phone: Bool = false) {
        let path = s.dir.appendingPathComponent("console-\(name).png").path
        XCTAssertNoThrow(try page.screenshot(to: path, phone: phone))
        print("console screenshot: \(path)")
    }

    /// A string as a JavaScript literal.
    private func js(_ s: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [s])) ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast().description
    }

    func testConsoleIsServedAtRootAndListsAnRtmpPublishWithinTwoSeconds() throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        // getSnap's cache in the test's own folder, not the working directory.
        let snaps = FileManager.default.temporaryDirectory.appendingPathComponent("mr-console-snap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: snaps) }
        let (s, rtmp, _, http) = try started(extra: "[hls]\nenabled = true\n[api]\nsnap_root = \"\(snaps)\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        // `/` is the console with the default settings (no www_root), its scripts under /console/.
        let root = talk(port: http, "GET / HTTP/1.0\r\n\r\n") ?? ""
        XCTAssertTrue(root.hasPrefix("HTTP/1.1 200"), root)
        XCTAssertTrue(root.contains("console/app.js"), root)
        XCTAssertTrue(talk(port: http, "GET /console/api.js HTTP/1.0\r\n\r\n")?.contains("text/javascript") == true)
        XCTAssertTrue(talk(port: http, "GET /console/ HTTP/1.0\r\n\r\n")?.hasPrefix("HTTP/1.1 404") == true, "no listing")

        let page = try DevToolsSession(url: "http://127.0.0.1:\(http)/#streams")
        defer { page.close() }
        XCTAssertTrue(page.waitFor("document.querySelector('#streams-summary').textContent.startsWith('0 streams')", timeout: 10),
                      "the page did not list streams: " + page.describe("document.body.innerText"))

        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 40)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)
        let published = Date()
        XCTAssertTrue(page.waitFor("document.querySelector('[data-stream=\"live/a\"]') !== null", timeout: 2),
                      "live/a not listed 2 s after its publish")
        print("console: live/a listed \(String(format: "%.2f", Date().timeIntervalSince(published))) s after the publish")

        // The card: origin, tracks once known, and a play URL per protocol the plugins serve.
        let card = "document.querySelector('[data-stream=\"live/a\"]')"
        XCTAssertTrue(page.waitFor("\(card).innerText.includes('H264 320×240')", timeout: 5), page.describe("\(card).innerText"))
        XCTAssertTrue(page.waitFor("\(card).innerText.includes('rtmp_push')", timeout: 2))
        let urls = try page.evaluate("[...\(card).querySelectorAll('.urls code')].map(c => c.textContent)") as? [String] ?? []
        for expected in ["rtmp://127.0.0.1:\(rtmp)/live/a", "http://127.0.0.1:\(http)/live/a.live.flv", "http://127.0.0.1:\(http)/live/a.live.mp4",
                         "ws://127.0.0.1:\(http)/live/a.live.ts", "http://127.0.0.1:\(http)/live/a/hls.fmp4.m3u8"] {
            XCTAssertTrue(urls.contains(expected), "\(expected) missing from \(urls)")
        }
        XCTAssertTrue(page.waitFor("\(card).querySelector('img.thumb').naturalWidth === 320", timeout: 15), "no getSnap thumbnail")
        try page.evaluate("\(card).querySelector('details').open = true")
        shoot(page, s, "streams")
        shoot(page, s, "streams-phone", phone: true)

        publisher.terminate()
        XCTAssertTrue(page.waitFor("document.querySelector('[data-stream=\"live/a\"]') === null", timeout: 10), "live/a still listed after it ended")
    }

    func testConsoleOffLeavesRootToWwwRootOr404() throws {
        let www = FileManager.default.temporaryDirectory.appendingPathComponent("mr-console-www-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: www) }
        try "operator's own page".write(to: www.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        // An operator's index.html keeps `/`; the console keeps /console/.
        let (own, _, _, ownHttp) = try started(extra: "www_root = \"\(www.path)\"")
        XCTAssertTrue(talk(port: ownHttp, "GET / HTTP/1.0\r\n\r\n")?.contains("operator's own page") == true)
        XCTAssertTrue(talk(port: ownHttp, "GET /console/app.js HTTP/1.0\r\n\r\n")?.hasPrefix("HTTP/1.1 200") == true)
        XCTAssertEqual(own.stop(), 0, own.log)

        let (off, _, _, http) = try started(extra: "console = false")
        defer { XCTAssertEqual(off.stop(), 0, off.log) }
        XCTAssertTrue(talk(port: http, "GET / HTTP/1.0\r\n\r\n")?.hasPrefix("HTTP/1.1 404") == true)
        XCTAssertTrue(talk(port: http, "GET /console/app.js HTTP/1.0\r\n\r\n")?.hasPrefix("HTTP/1.1 404") == true)
    }

    func testPlayerDecodesHttpFmp4ThroughMse() throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        let (s, rtmp, _, http) = try started()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 40)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        let page = try DevToolsSession(url: "http://127.0.0.1:\(http)/#player?app=live&stream=a&proto=fmp4")
        defer { page.close() }
        let frames = "document.querySelector('#player-video').getVideoPlaybackQuality().totalVideoFrames"
        XCTAssertTrue(page.waitFor("\(frames) >= 25", timeout: 15),
                      "no frames decoded: " + page.describe("document.querySelector('main').innerText"))
        let first = (try page.evaluate(frames) as? NSNumber)?.intValue ?? 0
        XCTAssertTrue(page.waitFor("\(frames) >= \(first + 25)", timeout: 5), "decoding stopped at \(first) frames")
        XCTAssertTrue(s.log.contains("over HTTP-fMP4"), s.log)
        let stats = try page.evaluate("Object.fromEntries([...document.querySelectorAll('#player-stats dd')].map(d => [d.dataset.stat, d.textContent]))")
            as? [String: String] ?? [:]
        XCTAssertEqual(stats["Codecs"]?.hasPrefix("avc1."), true, "\(stats)")
        XCTAssertEqual(stats["Resolution"], "320×240", "\(stats)")
        let behind = Double(stats["Behind live"]?.split(separator: " ").first ?? "") ?? -1
        XCTAssertTrue(behind >= 0 && behind < 5, "behind live: \(stats)")
        XCTAssertEqual(try page.evaluate("document.querySelector('#player-status').classList.contains('error')") as? Bool, false, "\(stats)")
        print("console player: \(stats)")
        shoot(page, s, "player")
    }

    func testDisablingAPluginFromThePageClosesItsListener() throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        let (s, _, rtsp, http) = try started()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertNotNil(talk(port: rtsp, "OPTIONS rtsp://127.0.0.1/ RTSP/1.0\r\nCSeq: 1\r\n\r\n", timeout: 1), "rtsp does not listen at first")

        let page = try DevToolsSession(url: "http://127.0.0.1:\(http)/#server")
        defer { page.close() }
        let row = "document.querySelector('tr[data-plugin=\"rtsp\"]')"
        XCTAssertTrue(page.waitFor("\(row) !== null && \(row).querySelector('.state').textContent === 'running'", timeout: 10))
        XCTAssertTrue(page.waitFor("document.querySelector('#chart-lag polyline').getAttribute('points').split(' ').length >= 4", timeout: 8),
                      "no lag samples")
        shoot(page, s, "server")
        // Disable asks for a second click.
        try page.evaluate("\(row).querySelector('button.toggle').click()")
        XCTAssertEqual(try page.evaluate("\(row).querySelector('button.toggle').textContent") as? String, "Confirm disable")
        try page.evaluate("\(row).querySelector('button.toggle').click()")

        XCTAssertTrue(waitUntil(timeout: 10) { talk(port: rtsp, timeout: 1) == nil }, "rtsp still accepts connections: \(s.log)")
        XCTAssertTrue(page.waitFor("\(row).querySelector('.state').textContent === 'disabled'", timeout: 5))
        XCTAssertTrue(page.waitFor("document.querySelector('#plugins-status').textContent.includes('rtsp disabled')", timeout: 5))
        let config = try String(contentsOfFile: s.configPath, encoding: .utf8)
        XCTAssertTrue(config.contains("enabled = false"), config)

        // And back.
        try page.evaluate("\(row).querySelector('button.toggle').click()")
        XCTAssertTrue(waitUntil(timeout: 10) { talk(port: rtsp, "OPTIONS rtsp://127.0.0.1/ RTSP/1.0\r\nCSeq: 1\r\n\r\n", timeout: 1) != nil },
                      "rtsp did not come back")

        // The config check shows the validation error of a bad text.
        try page.evaluate("document.querySelector('#config-text').value = '[server]\\nthreads = \"many\"'")
        try page.evaluate("document.querySelector('#config-check-text').click()")
        XCTAssertTrue(page.waitFor("document.querySelector('#config-result').textContent.startsWith('Invalid: ')", timeout: 5),
                      page.describe("document.querySelector('#config-result').textContent"))
        XCTAssertTrue(page.waitFor("document.querySelector('#config-result').textContent.includes('threads')", timeout: 1))
    }

    func testWrongSecretIsRefusedAndTheRightOneIsKeptForTheTab() throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        let secret = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        let (s, _, _, http) = try started(extra: "[api]\nsecret = \"\(secret)\"\nloopback_exempt = false")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        // The page and its scripts never carry the secret.
        for path in ["/", "/console/app.js", "/console/api.js"] {
            XCTAssertFalse(talk(port: http, "GET \(path) HTTP/1.0\r\n\r\n")?.contains(secret) ?? true, path)
        }

        let page = try DevToolsSession(url: "http://127.0.0.1:\(http)/#streams")
        defer { page.close() }
        XCTAssertTrue(page.waitFor("!document.querySelector('#auth').hidden", timeout: 10), "no secret prompt")
        shoot(page, s, "auth")

        try page.evaluate("document.querySelector('#auth-secret').value = 'wrong'; document.querySelector('#auth-form').requestSubmit()")
        XCTAssertTrue(page.waitFor("document.querySelector('#auth-error').textContent.includes('secret is incorrect')", timeout: 5),
                      page.describe("document.querySelector('#auth-error').textContent"))
        XCTAssertEqual(try page.evaluate("document.querySelector('#auth').hidden") as? Bool, false)
        XCTAssertNil(try page.evaluate("sessionStorage.getItem('mediarouter.secret')") as? String, "a refused secret is kept")
        shoot(page, s, "auth-refused")

        try page.evaluate("document.querySelector('#auth-secret').value = \(js(secret)); document.querySelector('#auth-form').requestSubmit()")
        XCTAssertTrue(page.waitFor("document.querySelector('#auth').hidden", timeout: 5), "the right secret was not taken")
        XCTAssertTrue(page.waitFor("document.querySelector('#streams-summary').textContent.startsWith('0 streams')", timeout: 5))
        XCTAssertEqual(try page.evaluate("sessionStorage.getItem('mediarouter.secret')") as? String, secret)
        // Other pages use it without asking again.
        try page.evaluate("location.hash = '#server'")
        XCTAssertTrue(page.waitFor("document.querySelector('tr[data-plugin=\"httpmux\"] .state')?.textContent === 'running'", timeout: 5))
        XCTAssertEqual(try page.evaluate("document.querySelector('#auth').hidden") as? Bool, true)
        XCTAssertTrue(s.log.contains("wrong or missing secret"), s.log)
    }

    /// The Publish page sends Chromium's fake camera and microphone over WHIP (Chromium's own WebRTC stack,
    /// OpenH264 encoder); RTSP plays the stream back (ffprobe counts H.264 frames and Opus packets), and the
    /// Player page plays it over WHEP in a second browser, decoding frames.
    func testPublishPageSendsTheCameraOverWhipAndThePlayerPlaysItOverWhep() throws {
        guard ChromiumTests.chromiumInstalled() else { return }
        let udp = freePort()
        let (s, _, rtsp, http) = try started(extra: "[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let webrtc = ["--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"]
        let camera = try DevToolsSession(url: "http://127.0.0.1:\(http)/#publish?app=live&stream=cam&start=1",
                                         flags: webrtc + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
        defer { camera.close() }
        XCTAssertTrue(s.waitForLog("webrtc publisher live/cam", timeout: 15),
                      camera.describe("document.querySelector('#publish-status').textContent") + "\n" + s.log)
        XCTAssertTrue(camera.waitFor("document.querySelector('#publish-status').textContent === 'Publishing live/cam.'", timeout: 10),
                      camera.describe("document.querySelector('#publish-status').textContent"))
        XCTAssertTrue(camera.waitFor("Number(document.querySelector('[data-stat=\"Encoded frames\"]')?.textContent) > 30", timeout: 10),
                      camera.describe("document.querySelector('#publish-stats').innerText"))
        XCTAssertTrue(camera.waitFor("document.querySelector('[data-stat=\"Codecs\"]').textContent.startsWith('H264')", timeout: 2),
                      camera.describe("document.querySelector('#publish-stats').innerText"))
        shoot(camera, s, "publish")

        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/cam", seconds: 3)
        XCTAssertEqual(p.videoCodec, "h264", s.log)
        XCTAssertEqual(p.audioCodec, "opus", s.log)
        XCTAssertGreaterThan(p.videoFrames, 30, "\(p)")
        XCTAssertGreaterThan(p.audioFrames, 50, "\(p)")

        let viewer = try DevToolsSession(url: "http://127.0.0.1:\(http)/#player?app=live&stream=cam&proto=whep", flags: webrtc)
        defer { viewer.close() }
        let frames = "document.querySelector('#player-video').getVideoPlaybackQuality().totalVideoFrames"
        XCTAssertTrue(viewer.waitFor("\(frames) >= 25", timeout: 15),
                      "no frames over WHEP: " + viewer.describe("document.querySelector('main').innerText") + "\n" + s.log)
        let first = (try viewer.evaluate(frames) as? NSNumber)?.intValue ?? 0
        XCTAssertTrue(viewer.waitFor("\(frames) >= \(first + 25)", timeout: 5), "WHEP decoding stopped at \(first) frames")
        XCTAssertTrue(viewer.waitFor("document.querySelector('[data-stat=\"Codecs\"]').textContent.startsWith('H264')", timeout: 3),
                      viewer.describe("document.querySelector('#player-stats').innerText"))
        shoot(viewer, s, "player-whep")
    }

    /// The shipped plugins.conf (every plugin on, ports moved to free ones) serves the console at `/`: with all
    /// plugins' libraries mapped, httpmux once failed to find its own folder and turned the console off.
    func testTheShippedConfigServesTheConsole() throws {
        let shipped = try String(contentsOf: Build.repoRoot.appendingPathComponent("plugins.conf"), encoding: .utf8)
        var http = 0
        let config = shipped.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("port = ") else { return String(line) }
            let port = freePort()
            if line.contains("HTTP-FLV") { http = port }
            return "port = \(port)"
        }.joined(separator: "\n")
        XCTAssertGreaterThan(http, 0, "the httpmux port line was not found")
        let s = try ServerProcess(config: config)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("plugin httpmux"), s.log)
        XCTAssertFalse(s.log.contains("console is off"), s.log)
        let root = talk(port: http, "GET / HTTP/1.0\r\n\r\n") ?? ""
        XCTAssertTrue(root.hasPrefix("HTTP/1.1 200") && root.contains("console/app.js"), root)
    }
}
