import Foundation
import XCTest

/// Twenty aiortc WHEP players at once (issue 12: "20 of them at once, every one decodes"), in one Python process
/// (Clients/whep_many.py): ten play an RTMP source (ffmpeg), ten a WHIP source (aiortc's test pattern), both
/// 320x240 so the 2-core machine decodes them all. Every player must decode, not just the average.
final class WebrtcManyPlayersTests: XCTestCase {
    static let clients = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients")

    func testTwentyAiortcPlayersDecodeFromAnRtmpAndAWhipSource() throws {
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http,
                                          extra: "[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let viaRtmp = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: 40)
        defer { viaRtmp.terminate() }
        let viaWhip = Process()
        viaWhip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        viaWhip.arguments = ["python3", Self.clients.appendingPathComponent("whip_client.py").path,
                             "http://127.0.0.1:\(http)/index/api/whip?app=live&stream=w", "--seconds", "40", "--testsrc", "--size", "320x240"]
        viaWhip.standardOutput = FileHandle.nullDevice
        viaWhip.standardError = FileHandle.nullDevice
        try viaWhip.run()
        defer { viaWhip.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log)
        XCTAssertTrue(s.waitForLog("webrtc publisher live/w from 127.0.0.1", timeout: 15), s.log)
        XCTAssertTrue(s.waitForLog("DTLS connected", timeout: 15), s.log)

        let (status, out) = try runCommand("/usr/bin/env", ["python3", Self.clients.appendingPathComponent("whep_many.py").path,
                                                            "http://127.0.0.1:\(http)/live/a/whep", "10",
                                                            "http://127.0.0.1:\(http)/index/api/whep?app=live&stream=w", "10",
                                                            "--seconds", "8", "--stagger", "0.15"], timeout: 60)
        XCTAssertEqual(status, 0, out)
        let line = out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
        let players = r["players"] as? [[String: Any]] ?? []
        print("20 WHEP players: min frames \(r["min_video_frames"] ?? "?"), \(r["elapsed_s"] ?? "?") s; "
              + players.map { "\($0["video_frames"] ?? 0)" }.joined(separator: " "))
        XCTAssertEqual(players.count, 20, out)
        for (i, p) in players.enumerated() {
            XCTAssertEqual(p["status"] as? Int, 201, "player \(i): \(p)\n\(s.log)")
            // 8 s at 25 fps is 200 frames; 50 leaves room for a busy machine and still needs a decoder fed
            // with whole pictures from a keyframe on for seconds.
            XCTAssertGreaterThanOrEqual(p["video_frames"] as? Int ?? 0, 50, "player \(i): \(p)")
            XCTAssertEqual(p["delete_status"] as? Int, 200, "player \(i): \(p)")
        }
        XCTAssertEqual(players.filter { ($0["url"] as? String ?? "").contains("stream=w") }.count, 10, out)
        XCTAssertTrue(s.waitForLog("ended: deleted by the client", count: 20), s.log)
        // Each source's frames are packetized once (the "webrtc.rtp" ring) and every player sends those packets:
        // ten players per source send several times what was packetized (measured 5.7 times: the ring runs from the
        // first player's start to the last one's end, a player for 8 s of it); a packetizer per player would make it 1.
        let packetized = webrtcStat(http, "rtp_packetized"), sent = webrtcStat(http, "rtp_packets_out")
        print("RTP packets: \(packetized) packetized, \(sent) sent")
        XCTAssertGreaterThan(packetized, 0, "the players read the shared ring")
        XCTAssertGreaterThanOrEqual(sent, 3 * packetized, "packetized \(packetized), sent \(sent)")
    }
}
