import Foundation
import XCTest

/// A player on a ~10 kbit/s link (reads HTTP-FLV 1 KB every 100 ms through a 4 KB receive buffer) of a stream
/// several times that rate: the server does not queue what it cannot send (memory flat), the reader skips
/// ahead to keyframes (its skipped-frame counter and log line), and a normal player of the same stream plays
/// at full rate.
final class ThinLinkPlayerTests: XCTestCase {
    func testASlowReaderSkipsToKeyframesWithFlatMemoryWhileANormalPlayerKeepsUp() throws {
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let maxLag = 100
        // Small rings (a GOP is 25 video + ~43 AAC frames): they are full before the baseline, so what grows
        // after it is what the slow player makes the server hold. A 3 s stall timeout: the slow reader, paused
        // nearly all the time (its 192 KB between NIO's watermarks takes 19 s at 10 KB/s), must not be taken
        // for a stopped one.
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000,
                                          server: "reader_max_lag = \(maxLag)\nring_frames = 256\ngop_cache_frames = 64",
                                          extra: "stall_timeout_ms = 3000")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        // About 1 Mbit/s: a hundred times the reader's link.
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 30,
                                               extra: ["-b:v", "1M", "-minrate", "1M", "-maxrate", "1M", "-bufsize", "200k",
                                                       "-x264-params", "nal-hrd=cbr"])
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)

        let reader = ThinLinkReader(port: http, path: "/live/a.live.flv")
        let localPort = try XCTUnwrap(reader.localPort)
        reader.start()
        defer { reader.stop() }
        // Its socket queues are full within 3 s (NIO's 256 KB and the kernel's 16 KB unsent at 125 KB/s), so
        // the reader is paused; the rings are full within one.
        sleep(4)
        let early = try ServerMemory.least(s, http: http)
        let skippedEarly = skippedFrames(http)
        let readEarly = reader.bytesRead
        let window = 6.0
        let windowStart = Date()

        // Meanwhile a normal player of the same stream: 2 s of it at 25 fps.
        let normal = try MediaTools.probe("http://127.0.0.1:\(http)/live/a.live.flv", seconds: 2)
        XCTAssertGreaterThanOrEqual(normal.videoFrames, 45, "the normal player was held back by the slow one")
        usleep(UInt32(max(0, window - Date().timeIntervalSince(windowStart)) * 1_000_000))

        let late = try ServerMemory.least(s, http: http)
        let skipped = skippedFrames(http) - skippedEarly
        // In the window the stream made window x (25 video + ~43 AAC) frames at ~125 KB/s; the reader took
        // 10 KB/s. What it did not take was skipped, less what one lag (maxLag) and the socket buffers hold.
        let produced = Int(window * (25 + 43))
        XCTAssertGreaterThan(skipped, produced / 2 - maxLag, "skipped \(skipped) of \(produced) frames")
        // Still served (past the 3 s stall timeout twice over) and still reading.
        XCTAssertTrue(reader.isOpen, "the slow reader was disconnected: \(s.log)")
        XCTAssertGreaterThan(reader.bytesRead - readEarly, Int(window * 5_000), "the slow reader got nothing")
        XCTAssertFalse(s.log.contains("stopped reading; closing it"), s.log)
        // Said once per pause, not at each of the window's ~8 GOPs (it stays paused ~19 s at a time).
        let said = s.log.components(separatedBy: "player 127.0.0.1:\(localPort) of live/a fell behind: skipped").count - 1
        XCTAssertTrue((1...2).contains(said), "said \(said) times: \(s.log)")
        // What the reader did not take is not queued: at 1 Mbit/s the window's ~700 KB would show. Half of it is
        // the bound for the heap. One reading of it swings by up to ~250 KB with what is in flight at that instant
        // (publisher chunks, API answers): single readings grew 150-195 KB in this window, and fell as much in
        // the quiet windows after it (no leak), so the baseline and the end are each the least of a few readings
        // (then 21-91 KB).
        let growth = late.heapInUseBytes - early.heapInUseBytes
        XCTAssertLessThan(growth, Int(window * 125_000 / 2), "heap grew \(growth >> 10) KB: \(early.description) -> \(late.description)")
        XCTAssertLessThan(late.mediaBufferBytes - early.mediaBufferBytes, Int(window * 125_000 / 4),
                          "\(early.description) -> \(late.description)")
    }

    /// mediarouter_reader_skipped_frames of /metrics: the frames the current readers skipped.
    private func skippedFrames(_ http: Int) -> Int {
        let (_, text) = (try? runCommand("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(http)/metrics"], timeout: 10)) ?? (1, "")
        let line = text.split(separator: "\n").first { $0.hasPrefix("mediarouter_reader_skipped_frames ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? -1
    }
}

/// Reads an HTTP-FLV response 1 KB every 100 ms (10 KB/s) through a 4 KB receive buffer, on its own thread.
private final class ThinLinkReader: @unchecked Sendable {
    private let fd: Int32
    private let state = NSLock()
    private var read = 0
    private var open = true
    private var stopped = false
    let localPort: Int?

    init(port: Int, path: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        var local = sockaddr_in(), len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        localPort = ok ? Int(UInt16(bigEndian: local.sin_port)) : nil
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        if ok { _ = request.withCString { send(fd, $0, strlen($0), 0) } }
    }

    deinit { Glibc.close(fd) }

    func start() {
        Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 1024)
            while !state.withLock({ stopped }) {
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { state.withLock { open = false }; return }
                state.withLock { read += n }
                usleep(100_000)
            }
        }.start()
    }

    func stop() { state.withLock { stopped = true } }
    var bytesRead: Int { state.withLock { read } }
    var isOpen: Bool { state.withLock { open } }
}
