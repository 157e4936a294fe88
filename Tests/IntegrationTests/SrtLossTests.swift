import Foundation
import XCTest

/// Loss recovery: publisher and player each reach the server through a seeded user-space UDP relay that drops
/// 5 % of the datagrams and reorders 5 %, both directions (data one way, ACK/NAK the other). libsrt's
/// retransmissions must repair it: the server's retransmission counters rise, and the video the player
/// receives decodes to the same frames as the source file over a window (ffmpeg framemd5).
///
/// `SRT_LOSS_LATENCY_MS=0` runs it with no time for retransmissions (server and clients): it then fails, as
/// it should (checked by hand; the default is 300 ms).
final class SrtLossTests: XCTestCase {
    private func relay(listen: Int, server: Int, seed: Int) throws -> Process {
        try SrtTools.process("/usr/bin/python3", ["-u", "\(SrtTools.clients)/udp_loss_relay.py", String(listen), String(server),
                                                  "--drop", "0.05", "--reorder", "0.05", "--seed", String(seed)])
    }

    private func videoHashes(_ path: String) throws -> [String] {
        let (status, out) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v",
                                                               "-f", "framemd5", "-"], timeout: 60)
        XCTAssertEqual(status, 0, out)
        return out.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map {
            $0.trimmingCharacters(in: .whitespaces) } }
    }

    func testLossyPathIsRepairedByRetransmission() throws {
        let latency = Int(ProcessInfo.processInfo.environment["SRT_LOSS_LATENCY_MS"] ?? "") ?? 300
        let source = SrtTools.temp("src.ts"), received = SrtTools.temp("out.ts")
        defer { for f in [source, received] { try? FileManager.default.removeItem(atPath: f) } }
        // About 1.5 Mbit/s (some 140 SRT packets a second), a keyframe a second, no B-frames.
        let (made, log) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-t", "14", "-c:v", "libx264", "-preset", "ultrafast",
            "-g", "25", "-bf", "0", "-b:v", "1500k", "-pix_fmt", "yuv420p", "-f", "mpegts", source], timeout: 60)
        XCTAssertEqual(made, 0, log)

        let srt = freePort(), http = freePort(), toPublish = freePort(), toPlay = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http,
                                          extra: "[srt]\nport = \(srt)\nlatency = \(latency)\nstats_interval_ms = 500")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let relays = [try relay(listen: toPublish, server: srt, seed: 1), try relay(listen: toPlay, server: srt, seed: 2)]
        defer { relays.forEach(SrtTools.stop) }
        Thread.sleep(forTimeInterval: 0.5)

        let publisher = try SrtTools.process("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-i", source, "-c", "copy",
            "-f", "mpegts", SrtTools.url(port: toPublish, streamId: "#!::r=live/loss,m=publish", latencyMs: latency)])
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)
        let (played, playLog) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
            "-i", SrtTools.url(port: toPlay, streamId: "#!::r=live/loss,m=request", latencyMs: latency),
            "-map", "0:v", "-c", "copy", "-t", "8", "-f", "mpegts", received], timeout: 30)
        XCTAssertEqual(played, 0, playLog)

        // Retransmissions happened both ways: the server resent to the player and got resends from the publisher.
        XCTAssertGreaterThan(SrtTools.metric(http: http, "packets_retransmitted") ?? 0, 0, s.log)
        XCTAssertGreaterThan(SrtTools.metric(http: http, "packets_retransmitted_received") ?? 0, 0, s.log)
        XCTAssertGreaterThan(SrtTools.metric(http: http, "packets_lost") ?? 0, 0, s.log)

        let src = try videoHashes(source), out = try videoHashes(received)
        XCTAssertGreaterThan(out.count, 150, "frames received")
        guard let first = out.first, let start = src.firstIndex(of: first) else { return XCTFail("the first received frame is not a source frame") }
        let window = min(out.count, src.count - start)
        let mismatches = (0..<window).filter { out[$0] != src[start + $0] }
        XCTAssertEqual(mismatches, [], "frames that differ from the source (of \(window) from source frame \(start))")
    }
}
