import Foundation
import XCTest

/// Malformed RTSP and RTP input is answered or dropped with a log line; a stream being played goes on.
final class RtspBadInputTests: XCTestCase {
    func testMalformedRequestsAndPacketsLeaveOtherStreamsAlone() throws {
        let rtsp = freePort(), rtmp = freePort(), udp = 21000 + Int.random(in: 0..<1000) * 10
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 1000
            # Ten UDP ports are five RTP/RTCP pairs and the plugin needs one per event loop: fixed, not per core.
            threads = 2
            [rtsp]
            port = \(rtsp)
            udp_port_range = "\(udp)-\(udp + 9)"
            [rtmp]
            port = \(rtmp)
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/ok", seconds: 20)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/ok"), s.log)

        // Not RTSP: answered 400 and closed.
        let garbage = talk(port: rtsp, "HELLO THERE\r\n\r\n", timeout: 2) ?? ""
        XCTAssertTrue(garbage.hasPrefix("RTSP/1.0 400"), garbage)
        // A header that never ends: closed once it passes the limit.
        let huge = talk(port: rtsp, "OPTIONS rtsp://x/a/b RTSP/1.0\r\nX: " + String(repeating: "a", count: 40_000), timeout: 2) ?? ""
        XCTAssertTrue(huge.hasPrefix("RTSP/1.0 400"), huge)
        // No CSeq, an unknown method, a newer RTSP version, SETUP before DESCRIBE, a stream that does not exist.
        let replies = talk(port: rtsp, "OPTIONS rtsp://127.0.0.1/live/ok RTSP/1.0\r\n\r\n"
            + "BREW rtsp://127.0.0.1/live/ok RTSP/1.0\r\nCSeq: 2\r\n\r\n"
            + "OPTIONS rtsp://127.0.0.1/live/ok RTSP/2.0\r\nCSeq: 3\r\n\r\n"
            + "SETUP rtsp://127.0.0.1/live/ok/trackID=0 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n"
            + "DESCRIBE rtsp://127.0.0.1/live/none RTSP/1.0\r\nCSeq: 5\r\n\r\n", timeout: 3) ?? ""
        for expected in ["RTSP/1.0 400", "RTSP/1.0 501", "RTSP/1.0 505", "RTSP/1.0 455", "RTSP/1.0 404"] {
            XCTAssertTrue(replies.contains(expected), "\(expected) in \(replies)")
        }
        // ANNOUNCE with an SDP of absurd values, and one with no codec we know.
        let sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 300\r\na=rtpmap:300 H264/0\r\n"
        let odd = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 THEORA/90000\r\n"
        let announces = talk(port: rtsp, "ANNOUNCE rtsp://127.0.0.1/live/bad RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n\(sdp)"
            + "ANNOUNCE rtsp://127.0.0.1/live/odd RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: \(odd.utf8.count)\r\n\r\n\(odd)", timeout: 2) ?? ""
        XCTAssertTrue(announces.contains("RTSP/1.0 400"), announces)
        XCTAssertTrue(announces.contains("RTSP/1.0 415"), announces)
        // Interleaved data nobody set up (channel 5, 260 bytes), then a request.
        let stray = talk(port: rtsp, "$\u{05}\u{01}\u{04}" + String(repeating: "a", count: 260) + "OPTIONS rtsp://127.0.0.1/live/ok RTSP/1.0\r\nCSeq: 9\r\n\r\n", timeout: 2) ?? ""
        XCTAssertTrue(stray.contains("CSeq: 9"), "interleaved data outside a session is skipped: \(stray)")
        // A flood of garbage datagrams from a sender no session set up.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(udp).bigEndian
        let junk = [UInt8](repeating: 0x80, count: 1200)
        for _ in 0..<20_000 {
            _ = withUnsafePointer(to: &addr) { a in a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                junk.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } }
        }

        // The good stream plays on, over RTSP.
        let p = try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/live/ok", seconds: 2, extra: ["-rtsp_transport", "tcp"])
        XCTAssertGreaterThan(p.videoFrames, 40)
        XCTAssertTrue(s.log.contains("bad RTSP input"), s.log)
        XCTAssertTrue(s.log.contains("bad SDP"), s.log)
    }
}
