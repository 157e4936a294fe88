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

        // The stalled player: a tiny receive buffer, one request, then it does not read.
        let stalled = RawHttpPlayer(port: http, path: "/live/fat.live.flv", receiveBuffer: 4096)
        XCTAssertGreaterThanOrEqual(stalled.fd, 0)
        defer { stalled.stop() }

        XCTAssertTrue(s.waitForLog("stopped reading; closing it", timeout: 30), s.log)
        // Seen from the player: what its kernel queues still hold, then the close. A server that only said so
        // (or kept the connection paused) would go on sending the 8 Mbit/s stream once it is read again.
        let drainStart = Date()
        stalled.start()
        let closedAt = stalled.waitForClose(timeout: 5)
        XCTAssertNotNil(closedAt, "the stalled player's socket is still open, \(stalled.bytesRead) bytes read since: \(s.log)")
        print("stalled player: \(stalled.bytesRead) bytes left in the queues, closed \(closedAt.map { $0.timeIntervalSince(drainStart) } ?? -1) s after reading again")
        let p = try MediaTools.probe("http://127.0.0.1:\(http)/live/fat.live.flv", seconds: 2)
        XCTAssertGreaterThan(p.videoFrames, 35, "the other player was not held back")
    }
}
