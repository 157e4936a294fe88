import Foundation
import XCTest

/// No request leaves the folders the server serves from or writes to: the HTTP root, the VOD root and the
/// record root. Each case has a real file just outside the root that an escape would reach, a control
/// request of the same shape that must succeed (so a refusal is the guard's and not a broken request), and
/// requests sent byte for byte over a socket, so no client normalises `..` away before the server sees it.
final class PathTraversalTests: XCTestCase {
    private var base: URL!
    private let marker = "SECRET-\(UInt64.random(in: 0...UInt64.max))"

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("mr-trav-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: base) }

    /// Targets that name `name` one folder above the served root, each a different way of writing `..`.
    private func escapes(to name: String, prefix: String = "") -> [String] {
        let abs = base.appendingPathComponent(name).path
        return [
            "\(prefix)/../\(name)", "\(prefix)/%2e%2e/\(name)", "\(prefix)/%2E%2E/\(name)", "\(prefix)/.%2e/\(name)",
            "\(prefix)/..%2f\(name)", "\(prefix)/%2e%2e%2f\(name)", "\(prefix)/sub/../../\(name)",
            "\(prefix)/%252e%252e/\(name)", "\(prefix)/%252e%252e%252f\(name)", "\(prefix)/..%252f\(name)",
            "\(prefix)/..%00/\(name)", "\(prefix)/%00../\(name)", "\(prefix)/../\(name)%00.txt",
            "\(prefix)/..\\\(name)", "\(prefix)/%5c..%5c\(name)",
            "\(prefix)\(abs)", "\(prefix)/\(abs)", "\(prefix)/.\(abs)",
            "\(prefix)/link-out/\(name)", "\(prefix)/\(name.hasSuffix(".mp4") ? "file-link.mp4" : "file-link.txt")",
        ]
    }

    /// A symlink to the secret file and one to the folder above the root, both inside the root.
    private func plantLinks(in root: URL, fileLink: String, to secret: URL) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent(fileLink), withDestinationURL: secret)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("link-out"), withDestinationURL: base)
    }

    /// httpmux's www_root: `..` in every spelling, absolute paths, NUL bytes, backslashes, and symlinks out.
    func testStaticFilesNeverLeaveWwwRoot() throws {
        let www = base.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        let secret = base.appendingPathComponent("secret.txt")
        try Data(marker.utf8).write(to: secret)
        try Data("inside".utf8).write(to: www.appendingPathComponent("index.txt"))
        try FileManager.default.createSymbolicLink(at: www.appendingPathComponent("inner.txt"), withDestinationURL: www.appendingPathComponent("index.txt"))
        try plantLinks(in: www, fileLink: "file-link.txt", to: secret)
        let http = freePort()
        let s = try ServerProcess(config: "[httpmux]\nport = \(http)\nwww_root = \"\(www.path)\"\n")
        try s.start()
        defer { s.stop() }
        XCTAssertTrue(waitUntil { talk(port: http, "GET /index.txt HTTP/1.0\r\n\r\n", timeout: 1)?.contains("inside") == true }, s.log)

        // Controls: the same shapes reach files that are inside, a symlink included.
        for target in ["/index.txt", "/%69ndex.txt", "/inner.txt"] {
            let r = exchange(port: http, "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(r.status, 200, "\(target): \(r.text)")
            XCTAssertTrue(r.text.hasSuffix("inside"), "\(target): \(r.text)")
        }
        // A listing of the linked folder would name the secret file: refused as well.
        for target in escapes(to: "secret.txt") + ["http://127.0.0.1/../secret.txt", "*", "../secret.txt", "/link-out/", "/link-out"] {
            let r = exchange(port: http, "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertFalse(r.text.contains(marker), "\(target) served the file outside www_root: \(r.text)")
            XCTAssertTrue([400, 403, 404].contains(r.status), "\(target): \(r.text)")
        }
    }

    /// A 2 s MP4 file (H.264 + AAC) at `path`.
    private func makeMp4(_ path: String) throws {
        let (status, out) = try runCommand("/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", path], timeout: 60)
        XCTAssertEqual(status, 0, out)
    }

    /// The mp4 plugin's VOD: a name that would leave vod_root (or a symlink in it that points out) never
    /// becomes a stream, over RTSP (whose URL segments are percent-decoded), HTTP-FLV and RTMP.
    func testVodNeverLeavesVodRoot() throws {
        let vod = base.appendingPathComponent("vod")
        try FileManager.default.createDirectory(at: vod, withIntermediateDirectories: true)
        let secret = base.appendingPathComponent("secret.mp4")
        try makeMp4(secret.path)
        try FileManager.default.copyItem(at: secret, to: vod.appendingPathComponent("inside.mp4"))
        try plantLinks(in: vod, fileLink: "file-link.mp4", to: secret)
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 300, extra: """
            [mp4]
            vod_root = "\(vod.path)"
            """)
        defer { s.stop() }
        XCTAssertTrue(s.waitForLog("plugin mp4"), s.log)

        func describe(_ path: String) -> (status: Int, text: String) {
            exchange(port: rtsp, "DESCRIBE rtsp://127.0.0.1:\(rtsp)\(path) RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n")
        }
        func flv(_ path: String) -> (status: Int, text: String) {
            exchange(port: http, "GET \(path).live.flv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: 3)
        }
        XCTAssertEqual(describe("/vod/inside.mp4").status, 200, s.log)
        XCTAssertEqual(flv("/vod/inside.mp4").status, 200, s.log)
        for target in escapes(to: "secret.mp4", prefix: "/vod") {
            let d = describe(target)
            XCTAssertNotEqual(d.status, 200, "RTSP \(target) played a file outside vod_root: \(d.text)")
            XCTAssertTrue([400, 404].contains(d.status), "RTSP \(target): \(d.text)")
            let f = flv(target)
            XCTAssertTrue([400, 403, 404].contains(f.status), "HTTP-FLV \(target) played a file outside vod_root: \(f.text)")
        }
        // The symlinks were found and refused by the mp4 plugin itself, not by a protocol's name check.
        XCTAssertTrue(s.log.contains("file-link.mp4 leads outside vod_root"), s.log)
        XCTAssertTrue(s.log.contains("link-out/secret.mp4 leads outside vod_root"), s.log)

        // RTMP names the file in its play command, where ffmpeg sends -rtmp_playpath as given.
        let control = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/vod", seconds: 1, timeout: 15,
                                           extra: ["-rtmp_app", "vod", "-rtmp_playpath", "inside.mp4"])
        XCTAssertEqual(control.videoCodec, "h264")
        for playpath in ["../secret.mp4", "mp4:../secret.mp4", "sub/../../secret.mp4", "file-link.mp4", "link-out/secret.mp4"] {
            XCTAssertThrowsError(try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/vod", seconds: 1, timeout: 15,
                                                      extra: ["-rtmp_app", "vod", "-rtmp_playpath", playpath]), playpath)
        }
    }

    /// startRecord's customized_path and getMP4RecordFile's folders stay under record_root however `..` is
    /// written, and an absolute path is taken as relative to the root.
    func testRecordPathsStayUnderRecordRoot() throws {
        let rec = base.appendingPathComponent("rec")
        let outside = base.appendingPathComponent("outside")
        // What a listing that escaped would show.
        try FileManager.default.createDirectory(at: outside.appendingPathComponent("live/cam/secret-day"), withIntermediateDirectories: true)
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(rec.path)"
            """)
        defer { s.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/cam", seconds: 20)
        defer { pub.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/cam"), s.log)

        func api(_ query: String) throws -> [String: Any] { try managementApi(http, query) }
        let variants = ["..%2Foutside", "%2e%2e%2f%2e%2e", "..%2F..%2F..%2F..%2F..%2F..%2Ftmp",
                        outside.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "", "%252e%252e%252foutside"]
        for (i, custom) in variants.enumerated() {
            let started = try api("startRecord?type=1&app=live&stream=cam&customized_path=\(custom)")
            XCTAssertEqual(started["code"] as? Int, 0, "\(custom): \(started)")
            XCTAssertTrue(s.waitForLog("recording __defaultVhost__/live/cam into", count: i + 1, timeout: 10), s.log)
            XCTAssertEqual(try api("stopRecord?app=live&stream=cam")["code"] as? Int, 0)
            XCTAssertTrue(s.waitForLog("recording __defaultVhost__/live/cam stops", count: i + 1, timeout: 10), s.log)
        }
        let written = s.log.split(separator: "\n").filter { $0.contains("live/cam into ") }
            .compactMap { $0.components(separatedBy: " into ").last }
        XCTAssertEqual(written.count, variants.count, s.log)
        for path in written {
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.path
            XCTAssertTrue(resolved.hasPrefix(rec.path + "/"), "a recording left record_root: \(path)")
        }
        // Nothing but the planted folders exists outside record_root.
        let outsideFiles = (FileManager.default.enumerator(atPath: base.path)?.allObjects as? [String] ?? [])
            .filter { !$0.hasPrefix("rec") }.sorted()
        XCTAssertEqual(outsideFiles, ["outside", "outside/live", "outside/live/cam", "outside/live/cam/secret-day"])

        for query in ["customized_path=..%2Foutside", "customized_path=%2e%2e%2foutside", "period=..%2F..%2F..%2Foutside%2Flive%2Fcam",
                      "customized_path=\(outside.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"] {
            let listing = try api("getMP4RecordFile?app=live&stream=cam&\(query)")
            XCTAssertFalse("\(listing)".contains("secret-day"), "\(query) listed a folder outside record_root: \(listing)")
            let root = ((listing["data"] as? [String: Any])?["rootPath"] as? String).map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            XCTAssertTrue(root?.hasPrefix(rec.path + "/") == true, "\(query): \(listing)")
        }
    }

    /// ZLMediaKit's downloadFile serves any path its on_http_access hook allows; this server has no such
    /// endpoint, and must not answer one with the file.
    func testNoDownloadFileEndpointServesFiles() throws {
        let secret = base.appendingPathComponent("secret.txt")
        try Data(marker.utf8).write(to: secret)
        let http = freePort()
        let s = try ServerProcess(config: "[httpmux]\nport = \(http)\n")
        try s.start()
        defer { s.stop() }
        XCTAssertTrue(waitUntil { talk(port: http, "GET /index/api/getServerConfig HTTP/1.0\r\n\r\n", timeout: 1)?.contains("\"code\"") == true }, s.log)
        for query in ["file_path=\(secret.path)", "file_path=..%2F..%2F..\(secret.path)", "file_path=file://\(secret.path)"] {
            let r = exchange(port: http, "GET /index/api/downloadFile?\(query) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertFalse(r.text.contains(marker), "downloadFile?\(query) served the file: \(r.text)")
            XCTAssertTrue(r.text.contains("\"code\":-") || r.status == 404, r.text)
        }
    }
}
