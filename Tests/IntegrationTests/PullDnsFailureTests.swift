import Foundation
import XCTest

/// Pulls whose host name does not resolve (`.invalid` never does, RFC 6761): every pulling plugin reports the
/// lookup failure in listStreamProxy and the log, retries with its backoff as often as `retry_count` says (a
/// config pull backs off for ever), never crashes, and a stream published meanwhile plays at its rate.
final class PullDnsFailureTests: XCTestCase {
    private func count(_ text: String, _ needle: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testUnresolvableHostsFailClearlyWithBoundedRetriesAndOtherStreamsPlay() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [hls]
            pull = ["cfg/hls=http://cam.mr-test.invalid/live/x.m3u8"]
            """)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/ok", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/ok"), s.log)

        let urls = ["rtmp": "rtmp://cam.mr-test.invalid/live/x", "rtsp": "rtsp://cam.mr-test.invalid:554/live/x",
                    "flv": "http://cam.mr-test.invalid/live/x.flv", "m3u8": "http://cam.mr-test.invalid/live/x.m3u8"]
        let began = Date()
        for (name, url) in urls {
            let added = try managementApi(http, "addStreamProxy?app=dns&stream=\(name)&retry_count=1&timeout_sec=2&url=\(url)")
            XCTAssertEqual((added["code"] as? NSNumber)?.intValue, 0, "\(url): \(added)")
        }
        // Meanwhile, and right after: a player of the published stream gets it at full rate (2 s at 25 fps).
        let p = try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/live/ok", seconds: 2)
        XCTAssertGreaterThanOrEqual(p.videoFrames, 45, "the live stream was held back by the failing lookups")

        // retry_count = 1: the first attempt, one retry 1 s later, then the proxy gives up, its state and the
        // lookup's error readable through the API.
        XCTAssertTrue(waitUntil(timeout: 8) {
            let list = (try? managementApi(http, "listStreamProxy"))?["data"] as? [[String: Any]] ?? []
            return list.filter { ($0["key"] as? String ?? "").contains("/dns/") }.allSatisfy { $0["state"] as? String == "failed" }
                && list.count == 5
        }, "\(String(describing: try? managementApi(http, "listStreamProxy")))\n\(s.log)")
        let gaveUpAfter = Date().timeIntervalSince(began)
        XCTAssertGreaterThanOrEqual(gaveUpAfter, 1.0, "a retry waits its 1 s backoff")
        let list = try XCTUnwrap(try managementApi(http, "listStreamProxy")["data"] as? [[String: Any]])
        for item in list {
            let error = item["lastError"] as? String ?? ""
            XCTAssertTrue(error.contains("DNS error") && error.contains("cam.mr-test.invalid"), "the lookup failure is named: \(item)")
            if (item["key"] as? String ?? "").contains("/dns/") {
                XCTAssertEqual((item["rePullCount"] as? NSNumber)?.intValue, 1, "\(item)")
            }
        }
        for name in urls.keys {
            XCTAssertEqual(count(s.log, "pull dns/\(name) <- "), 2, "one attempt and one retry:\n\(s.log)")
            XCTAssertEqual(count(s.log, "pull dns/\(name) <- \(urls[name] ?? ""): connect to cam.mr-test.invalid:"), 2, s.log)
        }
        XCTAssertEqual(count(s.log, "giving up after 2 failed attempts (retry_count 1)"), 4, s.log)

        // Bounded: nothing more once they gave up, and the config pull (retry_count -1, for ever) backs off 1, 2,
        // 4, 8 s: after t seconds at most log2(t) + 2 attempts, not one a second.
        sleep(2)
        for name in urls.keys { XCTAssertEqual(count(s.log, "pull dns/\(name) <- "), 2, "tried again after giving up") }
        let configAttempts = count(s.log, "pull cfg/hls <- ")
        let running = Date().timeIntervalSince(began) + 3
        XCTAssertGreaterThanOrEqual(configAttempts, 2, s.log)
        XCTAssertLessThanOrEqual(Double(configAttempts), log2(running) + 2, "\(configAttempts) attempts in \(running) s:\n\(s.log)")
        XCTAssertTrue(s.log.contains("pull cfg/hls <- http://cam.mr-test.invalid/live/x.m3u8: connect to cam.mr-test.invalid:80 failed: DNS error"), s.log)
        let again = try MediaTools.probe("http://127.0.0.1:\(http)/live/ok.live.flv", seconds: 1)
        XCTAssertGreaterThanOrEqual(again.videoFrames, 20)
    }
}
