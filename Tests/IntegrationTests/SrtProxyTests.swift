import Foundation
import XCTest

/// SRT pulls and pushes through ZLMediaKit's proxy endpoints, reached by the scheme the srt plugin declares:
/// one server pulls its own SRT stream back, pushes it to itself over SRT, and shows both in the lists and
/// in getMediaList with SRT's origin types.
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
}
