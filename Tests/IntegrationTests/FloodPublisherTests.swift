import Foundation
import XCTest

/// A publisher that sends far more than its announced bitrate: ffmpeg copying a ~130 kbit/s clip (its FLV
/// metadata says so) over RTMP in a loop at 100x real time. The server's memory
/// stays bounded by its rings (not by what arrives), and a player of another stream keeps its rate.
final class FloodPublisherTests: XCTestCase {
    func testAPublisherFarAboveItsBitrateKeepsMemoryBoundedAndOtherPlayersPlaying() throws {
        let clip = FileManager.default.temporaryDirectory.appendingPathComponent("mr-flood-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).flv").path
        defer { try? FileManager.default.removeItem(atPath: clip) }
        let clipSeconds = 4.0
        let (made, out) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
                                                             "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                                                             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                                                             "-t", String(clipSeconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
                                                             "-bf", "0", "-b:v", "100k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k",
                                                             "-f", "flv", clip], timeout: 30)
        XCTAssertEqual(made, 0, out)
        let clipBytes = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: clip)[.size] as? Int)
        let announcedBytesPerSecond = Double(clipBytes) / clipSeconds

        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/ok", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/ok"), s.log)
        sleep(1)
        let before = try ServerMemory.read(s, http: http)

        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        // 100x real time, the figure (without a read rate ffmpeg reaches about 1,000x here, more than a
        // debug build's loop parses while staying responsive).
        flood.arguments = ["-hide_banner", "-loglevel", "error", "-readrate", "100", "-stream_loop", "-1", "-i", clip, "-c", "copy",
                           "-f", "flv", "rtmp://127.0.0.1:\(rtmp)/live/flood"]
        flood.standardOutput = FileHandle.nullDevice
        flood.standardError = FileHandle.nullDevice
        try flood.run()
        defer { flood.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/flood"), s.log)
        // A player of the flood that takes everything, so the fan-out path runs at the flood's rate too.
        let drain = DrainingReader(port: http, path: "/live/flood.live.flv")
        defer { drain.stop() }

        let t0 = Date(), in0 = bytesIn(http, "flood")
        let other = try MediaTools.probe("http://127.0.0.1:\(http)/live/ok.live.flv", seconds: 2)
        XCTAssertGreaterThanOrEqual(other.videoFrames, 45, "the other stream's player was held back by the flood")
        XCTAssertTrue(MediaTools.isIncreasing(other.videoDts))
        // The rings fill in the first seconds; after that a bounded server stays flat while the flood goes on.
        let early = try ServerMemory.read(s, http: http, maxTime: 15)
        let in1 = bytesIn(http, "flood"), t1 = Date()
        usleep(4_000_000)
        let late = try ServerMemory.read(s, http: http, maxTime: 15)
        let in2 = bytesIn(http, "flood"), elapsed = Date().timeIntervalSince(t1)

        let rate = Double(in2 - in1) / elapsed
        let factor = rate / announcedBytesPerSecond
        XCTAssertGreaterThan(factor, 20, "the flood reached only \(Int(factor))x its bitrate (\(Int(rate / 1024)) KB/s)")
        print("flood: \(Int(rate / 1024)) KB/s, \(Int(factor))x the clip's \(Int(announcedBytesPerSecond / 1024)) KB/s; \(before.description) -> \(early.description) -> \(late.description)")
        // A queue growing with the flood would hold a good part of what arrived in the last window (several MB);
        // bounded rings hold the same few hundred KB at both reads.
        let arrived = in2 - in1
        XCTAssertGreaterThan(arrived, 2 << 20, "the flood sent too little to tell")
        XCTAssertLessThan(late.mediaBufferBytes - early.mediaBufferBytes, arrived / 10, "\(early.description) -> \(late.description)")
        XCTAssertLessThan(late.heapInUseBytes - early.heapInUseBytes, arrived / 4, "\(early.description) -> \(late.description)")
        XCTAssertLessThan(late.mediaBufferBytes, 8 << 20, "media held for the flood: \(late.description)")
        XCTAssertLessThan(late.rssBytes - before.rssBytes, 64 << 20, "\(before.description) -> \(late.description)")
        XCTAssertGreaterThan(drain.bytesRead, (in2 - in0) / 4, "the flood's own player fell behind without skipping")
        _ = t0
        // Known and left: under this flood the management API answers in 3 to 5 s (its loop is busy), and the
        // flood's player logs a skip per keyframe (about 160 lines a second). Both are in docs/reliability.md.
    }

    /// Bytes the server received for live/`stream` (getMediaList's totalBytes).
    private func bytesIn(_ http: Int, _ stream: String) -> Int {
        let list = (try? managementApi(http, "getMediaList?app=live&stream=\(stream)", maxTime: 15))?["data"] as? [[String: Any]] ?? []
        return list.compactMap { ($0["totalBytes"] as? NSNumber)?.intValue }.max() ?? -1
    }
}

/// Reads an HTTP response as fast as it comes, on its own thread, counting bytes.
private final class DrainingReader: @unchecked Sendable {
    private let fd: Int32
    private let state = NSLock()
    private var read = 0
    private var stopped = false

    init(port: Int, path: String) {
        fd = connectLoopback(port: port, timeout: 0.5) ?? -1
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        if fd >= 0 { _ = request.withCString { send(fd, $0, strlen($0), 0) } }
        Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while fd >= 0, !state.withLock({ stopped }) {
                let n = recv(fd, &buf, buf.count, 0)
                if n == 0 { return }
                if n > 0 { state.withLock { read += n } }
            }
        }.start()
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func stop() { state.withLock { stopped = true } }
    var bytesRead: Int { state.withLock { read } }
}
