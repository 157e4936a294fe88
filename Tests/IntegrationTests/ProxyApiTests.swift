import Foundation
import XCTest

/// ZLMediaKit's proxy endpoints and getSnap on the real binary, with ffmpeg publishing and ffprobe playing:
/// one server pulls its own stream back over RTMP and RTSP, pushes it to itself, and snaps it.
final class ProxyApiTests: XCTestCase {
    private func api(_ http: Int, _ name: String, _ params: [String: String] = [:], file: StaticString = #filePath,
                     line: UInt = #line) throws -> [String: Any] {
        let args = ["-s", "-G", "--max-time", "20", "http://127.0.0.1:\(http)/index/api/\(name)"]
            + params.sorted { $0.key < $1.key }.flatMap { ["--data-urlencode", "\($0.key)=\($0.value)"] }
        let (status, out) = try runCommand("/usr/bin/curl", args, timeout: 25)
        XCTAssertEqual(status, 0, out, file: file, line: line)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    private func code(_ r: [String: Any]) -> Int { (r["code"] as? NSNumber)?.intValue ?? -999 }
    private func data(_ r: [String: Any]) -> [String: Any] { r["data"] as? [String: Any] ?? [:] }
    private func flag(_ r: [String: Any]) -> Bool? { (data(r)["flag"] as? NSNumber)?.boolValue }
    private func online(_ http: Int, _ app: String, _ stream: String) -> Bool {
        ((try? api(http, "isMediaOnline", ["app": app, "stream": stream]))?["online"] as? NSNumber)?.boolValue ?? false
    }

    /// getSnap into a file: (content type, bytes, seconds taken).
    private func snap(_ http: Int, _ url: String, to path: String) throws -> (String, Data, TimeInterval) {
        let started = Date()
        let (status, out) = try runCommand("/usr/bin/curl", [
            "-s", "-G", "--max-time", "20", "-o", path, "-w", "%{content_type}", "http://127.0.0.1:\(http)/index/api/getSnap",
            "--data-urlencode", "url=\(url)", "--data-urlencode", "timeout_sec=10", "--data-urlencode", "expire_sec=60",
        ], timeout: 25)
        XCTAssertEqual(status, 0, out)
        return (out, (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), Date().timeIntervalSince(started))
    }

    private func config(rtmp: Int, rtsp: Int, http: Int, snapRoot: String, defaultSnap: String = "", extraRtmp: String = "",
                        extraRtsp: String = "") -> String {
        """
        [server]
        play_wait_ms = 5000
        [api]
        snap_root = "\(snapRoot)"
        default_snap = "\(defaultSnap)"
        [rtmp]
        port = \(rtmp)
        \(extraRtmp)
        [rtsp]
        port = \(rtsp)
        \(extraRtsp)
        [httpmux]
        port = \(http)
        """
    }

    /// A server whose snapshots go under a fresh folder, with ZLMediaKit's default picture `logo.png` there (not
    /// made yet), and ffmpeg publishing live/src over RTMP; `dead` is a port nothing listens on.
    private struct Publishing {
        let server: ServerProcess, publisher: Process
        let rtmp: Int, rtsp: Int, http: Int, dead: Int
        let dir: URL
        var snapRoot: String { dir.appendingPathComponent("snap").path }
        var logo: String { dir.appendingPathComponent("logo.png").path }
    }

    private func serverPublishing(name: String = #function) throws -> Publishing {
        let rtmp = freePort(), rtsp = freePort(), http = freePort(), dead = freePort()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-proxyapi-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let s = try ServerProcess(config: config(rtmp: rtmp, rtsp: rtsp, http: http, snapRoot: dir.appendingPathComponent("snap").path,
                                                 defaultSnap: dir.appendingPathComponent("logo.png").path), name: name)
        try s.start()
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/src", to: s, seconds: 60)
        XCTAssertTrue(s.waitForLog("publish /live/src"), s.log)
        return Publishing(server: s, publisher: publisher, rtmp: rtmp, rtsp: rtsp, http: http, dead: dead, dir: dir)
    }

    private func finish(_ p: Publishing) {
        p.publisher.terminate()
        XCTAssertEqual(p.server.stop(), 0, p.server.log)
        try? FileManager.default.removeItem(at: p.dir)
    }

    /// addStreamProxy of live/src back into the server as proxy/r1 (RTMP) and proxy/s1 (RTSP), both online.
    private func addPulls(_ p: Publishing) throws {
        // Pulls over RTMP and RTSP, chosen by the URL's scheme.
        let r1 = try api(p.http, "addStreamProxy", ["vhost": "__defaultVhost__", "app": "proxy", "stream": "r1",
                                                     "url": "rtmp://127.0.0.1:\(p.rtmp)/live/src", "retry_count": "-1", "timeout_sec": "5",
                                                     "enable_hls": "1", "enable_mp4": "0"])
        XCTAssertEqual(code(r1), 0, "\(r1)")
        XCTAssertEqual(data(r1)["key"] as? String, "__defaultVhost__/proxy/r1")
        let s1 = try api(p.http, "addStreamProxy", ["app": "proxy", "stream": "s1", "url": "rtsp://127.0.0.1:\(p.rtsp)/live/src", "rtp_type": "0"])
        XCTAssertEqual(code(s1), 0, "\(s1)")
        XCTAssertEqual(data(s1)["key"] as? String, "__defaultVhost__/proxy/s1")
        XCTAssertTrue(waitUntil(timeout: 10) { self.online(p.http, "proxy", "r1") && self.online(p.http, "proxy", "s1") }, p.server.log)
    }

    /// Pulls over RTMP and RTSP play and are listed; a key is used once; bad requests are answered clearly.
    func testPullsPlayAreListedAndTheirKeysAreUsedOnce() throws {
        let p = try serverPublishing()
        defer { finish(p) }
        try addPulls(p)
        let viaRtmp = try MediaTools.probe("rtmp://127.0.0.1:\(p.rtmp)/proxy/r1", seconds: 2)
        XCTAssertEqual(viaRtmp.videoCodec, "h264")
        XCTAssertEqual(viaRtmp.audioCodec, "aac")
        XCTAssertGreaterThan(viaRtmp.videoFrames, 20)
        let viaRtsp = try MediaTools.probe("rtsp://127.0.0.1:\(p.rtsp)/proxy/s1", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(viaRtsp.videoCodec, "h264")
        XCTAssertEqual(viaRtsp.audioCodec, "aac")
        XCTAssertGreaterThan(viaRtsp.videoFrames, 20)

        let list = try api(p.http, "listStreamProxy")
        let items = list["data"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(items.compactMap { $0["key"] as? String }), ["__defaultVhost__/proxy/r1", "__defaultVhost__/proxy/s1"], "\(list)")
        for item in items {
            XCTAssertEqual((item["status"] as? NSNumber)?.intValue, 0, "\(item)")
            XCTAssertEqual((item["src"] as? [String: Any])?["app"] as? String, "proxy")
        }
        let info = try api(p.http, "getProxyInfo", ["key": "__defaultVhost__/proxy/s1"])
        XCTAssertEqual(data(info)["url"] as? String, "rtsp://127.0.0.1:\(p.rtsp)/live/src", "\(info)")
        XCTAssertEqual(code(try api(p.http, "getProxyInfo", ["key": "__defaultVhost__/proxy/none"])), -500)

        // A key is used once, whichever plugin holds it; bad requests are answered clearly.
        for url in ["rtmp://127.0.0.1:\(p.rtmp)/live/src", "rtsp://127.0.0.1:\(p.rtsp)/live/src"] {
            let again = try api(p.http, "addStreamProxy", ["app": "proxy", "stream": "r1", "url": url])
            XCTAssertEqual(code(again), -1, "\(again)")
            XCTAssertEqual(again["msg"] as? String, "This stream already exists")
        }
        let scheme = try api(p.http, "addStreamProxy", ["app": "proxy", "stream": "x", "url": "foo://127.0.0.1/live/src"])
        XCTAssertEqual(code(scheme), -300, "\(scheme)")
        XCTAssertTrue((scheme["msg"] as? String ?? "").contains("no running plugin pulls this url; pulled: rtmp://"), "\(scheme)")
        // http URLs are pulled by path: .flv/.ts by httpmux (and .m3u8 by hls, not running here); others by nobody.
        let mp4 = try api(p.http, "addStreamProxy", ["app": "proxy", "stream": "x", "url": "http://127.0.0.1:\(p.http)/live/src.live.mp4"])
        XCTAssertEqual(code(mp4), -300, "\(mp4)")
        XCTAssertTrue((mp4["msg"] as? String ?? "").contains("http://…{.flv,.ts}"), "\(mp4)")
        XCTAssertEqual(code(try api(p.http, "addStreamProxy", ["app": "proxy", "stream": "x"])), -300)
    }

    /// A reload keeps the API's proxies; delStreamProxy ends one.
    func testReloadKeepsTheApisProxiesAndDeleteEndsThem() throws {
        let p = try serverPublishing()
        defer { finish(p) }
        try addPulls(p)
        // A reload that changes the pull list, and one that restarts the rtsp plugin, keep the API's proxies.
        try p.server.rewrite(config(rtmp: p.rtmp, rtsp: p.rtsp, http: p.http, snapRoot: p.snapRoot, defaultSnap: p.logo,
                                    extraRtmp: "pull = [\"cfg/dead=rtmp://127.0.0.1:\(p.dead)/live/x\"]", extraRtsp: "multicast_ttl = 8"))
        XCTAssertTrue(p.server.waitForLog("plugin rtsp: restarting for its new config"), p.server.log)
        XCTAssertTrue(p.server.waitForLog("pull cfg/dead <- rtmp://127.0.0.1:\(p.dead)/live/x"), p.server.log)
        XCTAssertTrue(waitUntil(timeout: 10) { self.online(p.http, "proxy", "s1") }, p.server.log)
        let afterReload = (try api(p.http, "listStreamProxy"))["data"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(afterReload.compactMap { $0["key"] as? String }),
                       ["__defaultVhost__/proxy/r1", "__defaultVhost__/proxy/s1", "__defaultVhost__/cfg/dead"])
        XCTAssertTrue(online(p.http, "proxy", "r1"), "a reload that does not restart the rtmp plugin leaves its pulls running")

        let del = try api(p.http, "delStreamProxy", ["key": "__defaultVhost__/proxy/r1"])
        XCTAssertEqual(flag(del), true, "\(del)")
        XCTAssertTrue(waitUntil(timeout: 5) { !self.online(p.http, "proxy", "r1") }, "the deleted proxy's stream goes")
        XCTAssertEqual(flag(try api(p.http, "delStreamProxy", ["key": "__defaultVhost__/proxy/r1"])), false)
    }

    func testPusherProxyPushesToThisServer() throws {
        let p = try serverPublishing()
        defer { finish(p) }
        // A push to this same server.
        let push = try api(p.http, "addStreamPusherProxy", ["schema": "rtmp", "vhost": "__defaultVhost__", "app": "live", "stream": "src",
                                                            "dst_url": "rtmp://127.0.0.1:\(p.rtmp)/pushed/x"])
        XCTAssertEqual(code(push), 0, "\(push)")
        let pushKey = data(push)["key"] as? String ?? ""
        XCTAssertTrue(pushKey.hasPrefix("rtmp/__defaultVhost__/live/src/"), pushKey)
        XCTAssertTrue(waitUntil(timeout: 10) { self.online(p.http, "pushed", "x") }, p.server.log)
        let pushed = try MediaTools.probe("rtmp://127.0.0.1:\(p.rtmp)/pushed/x", seconds: 2)
        XCTAssertEqual(pushed.videoCodec, "h264")
        XCTAssertGreaterThan(pushed.videoFrames, 20)
        let pushers = (try api(p.http, "listStreamPusherProxy"))["data"] as? [[String: Any]] ?? []
        XCTAssertEqual(pushers.compactMap { $0["key"] as? String }, [pushKey])
        XCTAssertEqual(code(try api(p.http, "addStreamPusherProxy", ["app": "live", "stream": "src", "dst_url": "srt://127.0.0.1:9/x"])), -300)
        XCTAssertEqual(flag(try api(p.http, "delStreamPusherProxy", ["key": pushKey])), true)
        XCTAssertTrue(waitUntil(timeout: 5) { !self.online(p.http, "pushed", "x") }, "the push stops")
    }

    func testGetSnapAnswersTheJpegFromItsCacheAndElseTheDefaultPicture() throws {
        let p = try serverPublishing()
        defer { finish(p) }
        // getSnap answers the JPEG itself; a second call within expire_sec comes from the cache.
        let source = "rtmp://127.0.0.1:\(p.rtmp)/live/src"
        let (type1, jpeg1, took1) = try snap(p.http, source, to: p.dir.appendingPathComponent("a.jpg").path)
        XCTAssertEqual(type1, "image/jpeg", String(decoding: jpeg1.prefix(300), as: UTF8.self))
        let picture = try MediaTools.probe(p.dir.appendingPathComponent("a.jpg").path)
        XCTAssertEqual(picture.videoCodec, "mjpeg")
        XCTAssertEqual(picture.width, 320)
        XCTAssertEqual(picture.height, 240)
        let (type2, jpeg2, took2) = try snap(p.http, source, to: p.dir.appendingPathComponent("b.jpg").path)
        XCTAssertEqual(type2, "image/jpeg")
        XCTAssertEqual(jpeg1, jpeg2, "served from the cache")
        XCTAssertLessThan(took2, took1, "the cached answer is faster (\(took2) s vs \(took1) s)")
        let badSnap = try api(p.http, "getSnap", ["url": "/etc/passwd"])
        XCTAssertEqual(code(badSnap), -300, "\(badSnap)")

        // A snapshot that fails (nothing listens there) answers the default picture, ZLMediaKit's logo; while
        // that file is missing, the error envelope.
        let failing = "rtsp://127.0.0.1:\(p.dead)/live/none"
        let (typeNoLogo, noLogo, _) = try snap(p.http, failing, to: p.dir.appendingPathComponent("c").path)
        XCTAssertEqual(typeNoLogo, "application/json; charset=utf-8", String(decoding: noLogo, as: UTF8.self))
        XCTAssertTrue(String(decoding: noLogo, as: UTF8.self).contains("default_snap"), String(decoding: noLogo, as: UTF8.self))
        let (made, out) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "color=red:s=32x32",
                                                             "-frames:v", "1", p.logo], timeout: 20)
        XCTAssertEqual(made, 0, out)
        let (typeLogo, answered, _) = try snap(p.http, failing, to: p.dir.appendingPathComponent("d.png").path)
        XCTAssertEqual(typeLogo, "image/png", String(decoding: answered.prefix(300), as: UTF8.self))
        XCTAssertEqual(answered, try Data(contentsOf: URL(fileURLWithPath: p.logo)))
    }

    /// HTTP-FLV and HTTP-TS pulls (httpmux) of the server's own live.flv and live.ts outputs, played back over RTMP.
    func testHttpFlvAndHttpTsPulls() throws {
        let rtmp = freePort(), rtsp = freePort(), http = freePort()
        let snapRoot = FileManager.default.temporaryDirectory.appendingPathComponent("mr-httppull-\(getpid())-snap").path
        let s = try ServerProcess(config: config(rtmp: rtmp, rtsp: rtsp, http: http, snapRoot: snapRoot))
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/src", seconds: 40)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/src"), s.log)

        let pulls = [("f1", "http://127.0.0.1:\(http)/live/src.live.flv"), ("t1", "http://127.0.0.1:\(http)/live/src.live.ts")]
        for (stream, url) in pulls {
            let r = try api(http, "addStreamProxy", ["app": "proxy", "stream": stream, "url": url, "retry_count": "-1"])
            XCTAssertEqual(code(r), 0, "\(r)")
            XCTAssertEqual(data(r)["key"] as? String, "__defaultVhost__/proxy/\(stream)")
        }
        XCTAssertTrue(waitUntil(timeout: 10) { self.online(http, "proxy", "f1") && self.online(http, "proxy", "t1") }, s.log)
        for (stream, _) in pulls {
            let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/proxy/\(stream)", seconds: 3)
            XCTAssertEqual(p.videoCodec, "h264", stream)
            XCTAssertEqual(p.audioCodec, "aac", stream)
            XCTAssertGreaterThan(p.videoFrames, 30, stream)
            XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), "\(stream): \(p.videoDts.prefix(40))")
        }

        let items = (try api(http, "listStreamProxy"))["data"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(items.compactMap { $0["key"] as? String }), ["__defaultVhost__/proxy/f1", "__defaultVhost__/proxy/t1"], "\(items)")
        for item in items {
            XCTAssertEqual(item["plugin"] as? String, "httpmux", "\(item)")
            XCTAssertEqual((item["status"] as? NSNumber)?.intValue, 0, "\(item)")
        }
        for (stream, _) in pulls {
            XCTAssertEqual(flag(try api(http, "delStreamProxy", ["key": "__defaultVhost__/proxy/\(stream)"])), true)
        }
        XCTAssertTrue(waitUntil(timeout: 5) { !self.online(http, "proxy", "f1") && !self.online(http, "proxy", "t1") }, "the deleted pulls' streams go")
        XCTAssertEqual(((try api(http, "listStreamProxy"))["data"] as? [Any] ?? [1]).count, 0)
    }
}
