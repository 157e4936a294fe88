import Foundation
import XCTest

/// Hooks the README names that HookTests does not drive: on_play over every protocol, the periodic
/// on_server_keepalive, and the on_record_mp4 POST describing the file that is really on disk.
final class HookOptionTests: XCTestCase {
    /// on_play says no: RTMP gets an onStatus error, RTSP, HTTP-FLV and HLS a 403; the question carries the
    /// schema and the player's query. Then it says yes and the same players play.
    func testPlayHookRefusesEveryProtocolThenAllows() throws {
        let r = try HookReceiver()
        try r.rules(["on_play": ["code": -1, "msg": "no playing"]])
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            \(r.table(["on_play"]))
            [hls]
            """)
        defer { s.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/p", seconds: 25)
        defer { pub.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/p"), "publishing needs no answer without on_publish: \(s.log)")

        let refused = MediaTools.probeFailure("rtmp://127.0.0.1:\(rtmp)/live/p?token=t1")
        // The server's refusal with the hook's own reason, not any failure (a dropped connection says no such thing).
        XCTAssertTrue(refused?.contains(#"Server error: on_play hook: code -1, msg "no playing""#) == true, "RTMP: \(refused ?? "it played")")
        let describe = exchange(port: rtsp, "DESCRIBE rtsp://127.0.0.1:\(rtsp)/live/p?token=t2 RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        XCTAssertEqual(describe.status, 403, describe.text)
        let flv = exchange(port: http, "GET /live/p.live.flv?token=t3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(flv.status, 403, flv.text)
        let hls = exchange(port: http, "GET /live/p/hls.m3u8?token=t4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(hls.status, 403, hls.text)

        XCTAssertTrue(r.wait("on_play", count: 4), "\(r.bodies("on_play"))")
        var seen: Set<String> = []
        for body in r.bodies("on_play") {
            XCTAssertEqual(body["app"] as? String, "live", "\(body)")
            XCTAssertEqual(body["stream"] as? String, "p", "\(body)")
            XCTAssertEqual(body["ip"] as? String, "127.0.0.1", "\(body)")
            seen.insert("\(body["schema"] as? String ?? "?") \(body["params"] as? String ?? "?")")
        }
        for asked in ["rtmp token=t1", "rtsp token=t2", "hls token=t4"] { XCTAssertTrue(seen.contains(asked), "\(asked) in \(seen)") }
        XCTAssertTrue(seen.contains { $0.hasSuffix(" token=t3") }, "HTTP-FLV's question: \(seen)")

        try r.rules(["on_play": ["code": 0]])
        let played = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/p?token=ok", seconds: 1, timeout: 15)
        XCTAssertGreaterThan(played.videoFrames, 15)
        XCTAssertEqual(exchange(port: http, "GET /live/p.live.flv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: 3).status, 200)
    }

    /// stream_changed_schemas = "rtmp/ts": on_stream_changed only for those two, though rtsp and fmp4 also serve
    /// the stream (without the option every schema is sent: HookTests).
    func testStreamChangedSchemasFiltersTheRegistrations() throws {
        let r = try HookReceiver()
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: r.table(["on_stream_changed"], extra: "stream_changed_schemas = \"rtmp/ts\""))
        defer { s.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/sc", seconds: 2)
        defer { pub.terminate() }
        XCTAssertTrue(r.wait("on_stream_changed", count: 2, where: { $0["regist"] as? Bool == true }), s.log)
        XCTAssertTrue(r.wait("on_stream_changed", count: 4, timeout: 15), "the unregistrations: \(r.bodies("on_stream_changed"))")
        let schemas = r.bodies("on_stream_changed").map { "\($0["regist"] as? Bool == true ? "+" : "-")\($0["schema"] as? String ?? "?")" }
        XCTAssertEqual(Set(schemas), ["+rtmp", "+ts", "-rtmp", "-ts"], "\(schemas)")
        XCTAssertEqual(schemas.count, 4, "\(schemas)")
    }

    /// alive_interval = 1: keepalives arrive about once a second with getStatistic's counts.
    func testServerKeepaliveArrivesEveryAliveInterval() throws {
        let r = try HookReceiver()
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [api]
            media_server_id = "keepalive-1"
            \(r.table(["on_server_keepalive"], extra: "alive_interval = 1"))
            """)
        defer { s.stop() }
        let start = Date()
        XCTAssertTrue(r.wait("on_server_keepalive", count: 3, timeout: 6), s.log)
        let took = Date().timeIntervalSince(start)
        XCTAssertTrue(took > 1.5 && took < 5, "three keepalives took \(took) s at alive_interval 1")
        let body = try XCTUnwrap(r.bodies("on_server_keepalive").last)
        XCTAssertEqual(body["mediaServerId"] as? String, "keepalive-1", "\(body)")
        let data = try XCTUnwrap(body["data"] as? [String: Any], "\(body)")
        for key in ["MediaSource", "Reader", "TcpSession"] { XCTAssertNotNil(data[key] as? Int, "\(key) in \(data)") }
    }

    /// The on_record_mp4 POST names the file that exists, with its real size and a plausible length.
    func testRecordMp4HookDescribesTheFileOnDisk() throws {
        let r = try HookReceiver()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mr-hookrec-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [mp4]
            record_root = "\(root.path)"
            record = ["rec/*"]
            \(r.table(["on_record_mp4"]))
            """)
        defer { s.stop() }
        let pub = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/rec/cam", seconds: 3)
        pub.waitUntilExit()
        XCTAssertTrue(r.wait("on_record_mp4", timeout: 15), s.log)
        let body = try XCTUnwrap(r.bodies("on_record_mp4").first)
        XCTAssertEqual(body["app"] as? String, "rec")
        XCTAssertEqual(body["stream"] as? String, "cam")
        let path = try XCTUnwrap(body["file_path"] as? String, "\(body)")
        XCTAssertTrue(path.hasPrefix(root.path + "/rec/cam/"), "\(body)")
        let size = try XCTUnwrap((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, "\(path) exists")
        XCTAssertEqual((body["file_size"] as? NSNumber)?.intValue, size.intValue, "\(body)")
        let length = try XCTUnwrap((body["time_len"] as? NSNumber)?.doubleValue, "\(body)")
        XCTAssertTrue(length > 1.5 && length < 3.5, "3 s were published: time_len \(length)")
        XCTAssertEqual(body["file_name"] as? String, (path as NSString).lastPathComponent)
        XCTAssertEqual(body["folder"] as? String, (path as NSString).deletingLastPathComponent + "/")
        XCTAssertEqual(try MediaTools.probe(path).videoCodec, "h264")
    }
}
