import Foundation
import XCTest

/// A player that stops reading: the bus pauses it (bounded memory), and after the stall timeout the
/// server drops it, while another player of the same stream goes on.
final class SlowPlayerTests: XCTestCase {
    func testStalledPlayerIsDroppedAndOthersKeepPlaying() throws {
        let rtmp = freePort(), http = freePort()
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = 4000
            [rtmp]
            port = \(rtmp)
            [httpmux]
            port = \(http)
            stall_timeout_ms = 1500
            """)
        try s.start()
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        // A high-bitrate source fills socket buffers quickly.
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/fat", seconds: 40,
                                               extra: ["-b:v", "8M", "-minrate", "8M", "-maxrate", "8M", "-bufsize", "1M",
                                                       "-x264-params", "nal-hrd=cbr:filler=1"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/fat"), s.log)

        // The stalled player: a tiny receive buffer, one request, then it never reads.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(http).bigEndian
        XCTAssertEqual(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }, 0)
        let request = "GET /live/fat.live.flv HTTP/1.1\r\nHost: x\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }

        XCTAssertTrue(s.waitForLog("stopped reading; closing it", timeout: 30), s.log)
        let p = try MediaTools.probe("http://127.0.0.1:\(http)/live/fat.live.flv", seconds: 2)
        XCTAssertGreaterThan(p.videoFrames, 35, "the other player was not held back")
    }
}
