import Foundation
import XCTest

/// HTTP-TS and HTTP-fMP4 live streams and their WebSocket forms, muxed once per source: ffprobe decodes what
/// a player receives, for a stream published over RTMP and one published over RTSP.
final class HttpTsFmp4Tests: XCTestCase {
    func testRtmpAndRtspStreamsPlayAsTsAndFmp4OverHttpAndWebSocket() throws {
        let rtmp = freePort(), http = freePort(), rtsp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publishers = try MediaTools.publishRtmpAndRtsp(to: s, rtmp: rtmp, rtsp: rtsp, seconds: 40)
        defer { publishers.forEach { $0.terminate() } }

        for stream in ["a", "b"] {
            for ext in ["ts", "mp4"] {
                let url = "http://127.0.0.1:\(http)/live/\(stream).live.\(ext)"
                let p = try MediaTools.probe(url, seconds: 3)
                XCTAssertEqual(p.videoCodec, "h264", url)
                XCTAssertEqual(p.audioCodec, "aac", url)
                XCTAssertEqual(p.width, 320, url)
                XCTAssertTrue((60...105).contains(p.videoFrames), "\(url): \(p.videoFrames)")
                XCTAssertTrue((80...180).contains(p.audioFrames), "\(url): \(p.audioFrames)")
                XCTAssertTrue(MediaTools.isMonotonic(p.videoDts), url)
                XCTAssertTrue(MediaTools.isIncreasing(p.audioDts), "\(url): \(p.audioDts.prefix(60))")
                // The same bytes in WebSocket binary frames.
                let ws = WebSocketClient.collect(port: http, path: "/live/\(stream).live.\(ext)", seconds: 2.5)
                XCTAssertTrue(ws.status.hasPrefix("HTTP/1.1 101"), ws.status)
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("mr-ws-\(getpid())-\(stream).\(ext)").path
                try Data(ws.payload).write(to: URL(fileURLWithPath: file))
                defer { try? FileManager.default.removeItem(atPath: file) }
                let w = try MediaTools.probe(file)
                XCTAssertEqual(w.videoCodec, "h264", "ws \(url)")
                XCTAssertGreaterThan(w.videoFrames, 40, "ws \(url)")
            }
        }
        XCTAssertTrue(s.log.contains("over HTTP-TS"), s.log)
        XCTAssertTrue(s.log.contains("over WebSocket-fMP4"), s.log)
    }
}
