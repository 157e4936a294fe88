import Foundation
import XCTest

/// SRT pulls and pushes through ZLMediaKit's proxy endpoints, reached by the scheme the srt plugin declares:
/// one server pulls its own SRT stream back, pushes it to itself over SRT, and shows both in the lists and
/// in getMediaList with SRT's origin types; a pull towards a silent address gives up at connect_timeout_ms.
final class SrtProxyTests: XCTestCase {
    private func api(_ http: Int, _ name: String, _ params: [String: String] = [:]) throws -> [String: Any] {
        try SrtTools.api(http, name, params)
    }

    func testPullAndPushOverSrtThroughTheApi() throws {
        let srt = freePort(), http = freePort(), rtmp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http, extra: "[srt]\nport = \(srt)")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publisher = try SrtTools.publish(port: srt, streamId: "#!::r=live/src,m=publish", seconds: 40)
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)

        let pull = try api(http, "addStreamProxy", ["app": "proxy", "stream": "pulled", "retry_count": "-1",
                                                    "url": "srt://127.0.0.1:\(srt)?streamid=#!::r=live/src,m=request"])
        XCTAssertEqual((pull["code"] as? NSNumber)?.intValue, 0, "\(pull)")
        XCTAssertEqual((pull["data"] as? [String: Any])?["key"] as? String, "__defaultVhost__/proxy/pulled")
        let push = try api(http, "addStreamPusherProxy", ["schema": "srt", "app": "live", "stream": "src", "retry_count": "-1",
                                                          "dst_url": "srt://127.0.0.1:\(srt)/live/pushed"])
        XCTAssertEqual((push["code"] as? NSNumber)?.intValue, 0, "\(push)")
        XCTAssertTrue(s.waitForLog("pull proxy/pulled <- srt://127.0.0.1:\(srt): online"), s.log)
        XCTAssertTrue(s.waitForLog("push live/src -> srt://127.0.0.1:\(srt): online"), s.log)

        let pulled = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/proxy/pulled", seconds: 2)
        XCTAssertEqual(pulled.videoCodec, "h264")
        XCTAssertEqual(pulled.audioCodec, "aac")
        XCTAssertGreaterThan(pulled.videoFrames, 25)
        let pushed = try MediaTools.probe(SrtTools.url(port: srt, streamId: "#!::r=live/pushed,m=request"), seconds: 2)
        XCTAssertEqual(pushed.videoCodec, "h264")
        XCTAssertGreaterThan(pushed.videoFrames, 25)

        let list = try api(http, "listStreamProxy")
        let item = (list["data"] as? [[String: Any]])?.first { $0["key"] as? String == "__defaultVhost__/proxy/pulled" }
        XCTAssertEqual(item?["plugin"] as? String, "srt", "\(list)")
        XCTAssertEqual((item?["online"] as? NSNumber)?.boolValue, true, "\(list)")
        let media = try api(http, "getMediaList", ["schema": "srt"])
        let streams = (media["data"] as? [[String: Any]]) ?? []
        XCTAssertEqual(streams.first { $0["stream"] as? String == "src" }?["originTypeStr"] as? String, "srt_push", "\(media)")
        XCTAssertEqual(streams.first { $0["stream"] as? String == "pulled" }?["originTypeStr"] as? String, "pull", "\(media)")
        // The plugin's status line: the publisher, the pull (a publisher too), the push and the two players.
        let plugins = try api(http, "getPluginList")
        let status = ((plugins["data"] as? [[String: Any]])?.first { $0["name"] as? String == "srt" })?["status"] as? String ?? ""
        XCTAssertTrue(status.hasPrefix("udp \(srt): 3 publishers, 2 players"), "\(plugins)")
    }

    /// connect_timeout_ms = 800: a pull towards a UDP port that reads and never answers sends its handshakes
    /// for about 0.8 s (libsrt repeats them every 250 ms until the timeout), not the default 3 s, and its
    /// next attempt comes after the 1 s back-off, from another socket.
    func testConnectTimeoutEndsAPullsHandshakesToASilentPeer() throws {
        let srt = freePort(), http = freePort(), silent = freePort()
        let sink = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(sink) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(silent).bigEndian
        XCTAssertEqual(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(sink, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }, 0)
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(sink, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http, extra: "[srt]\nport = \(srt)\nconnect_timeout_ms = 800")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let pull = try api(http, "addStreamProxy", ["app": "proxy", "stream": "silent", "retry_count": "-1",
                                                    "url": "srt://127.0.0.1:\(silent)?streamid=live/none"])
        XCTAssertEqual((pull["code"] as? NSNumber)?.intValue, 0, "\(pull)")
        // Each handshake's arrival time by the caller's UDP port: one port per attempt.
        var attempts: [UInt16: [Date]] = [:]
        var buf = [UInt8](repeating: 0, count: 2048)
        let deadline = Date().addingTimeInterval(4)
        while Date() < deadline && attempts.count < 2 {
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(sink, &buf, buf.count, 0, $0, &len) } }
            if n > 0 { attempts[UInt16(bigEndian: from.sin_port), default: []].append(Date()) }
        }
        let ordered = attempts.values.sorted { $0[0] < $1[0] }
        let spans = ordered.map { ($0.last ?? $0[0]).timeIntervalSince($0[0]) }
        print("connect_timeout_ms 800: handshakes over \(spans) s per attempt")
        XCTAssertEqual(ordered.count, 2, "a second attempt within 4 s: \(spans)\n\(s.log)")
        XCTAssertLessThan(spans.first ?? 99, 1.4, "the first attempt gave up near 0.8 s: \(spans)")
        XCTAssertGreaterThan(spans.first ?? 0, 0.3, "it repeated its handshake before giving up: \(spans)")
    }
}
