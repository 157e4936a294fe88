import Foundation
import XCTest

/// A source with B-frames (x264 `-bf 3`, as OBS and ffmpeg send it over RTMP) played in headless Chromium over
/// WHEP: the page measures getStats over a window after the first decoded frame, and the test holds the decoded
/// rate and the freezes to what a smooth player shows. Chromium's software H.264 decoder cannot show a picture
/// that comes after one shown later (it fails the frame and waits for a keyframe), so the most it can show is the
/// pictures the source has in presentation order; `bframe_filter` sends exactly those. The same source with
/// `bframe_filter = false` must fail the bounds, so the test measures the stall it claims to fix.
/// Measured (Chromium 156, 6 s window, 25 fps source, one P in 4 pictures): filter on 42 decoded of 42 expected,
/// no freeze, no PLI; filter off 12 decoded (the keyframes and one picture after each), 30 PLIs.
final class WebrtcBFrameTests: XCTestCase {
    static let fps = 25.0
    static let windowSeconds = 6.0

    struct Window {
        let raw: String
        /// Pictures the source had in presentation order during the window.
        let expected: Double
        let seconds, framesDecoded, framesDropped, framesReceived, freezes, freezeSeconds, pli: Double
    }

    /// Publishes the B-frame source over RTMP, checks it really has B-frames, plays it in Chromium over WHEP.
    private func playBFrameSource(filter: Bool?, name: String = #function) throws -> Window? {
        guard ChromiumTests.chromiumInstalled() else { return nil }
        let http = freePort(), rtmp = freePort(), udp = freePort()
        let option = filter.map { "\nbframe_filter = \($0)" } ?? ""
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: freePort(), http: http,
                                          extra: "www_root = \"\(ChromiumTests.clients)\"\n[webrtc]\nport = \(udp)\nbind = \"127.0.0.1\"" + option,
                                          name: name)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/b", seconds: 30, bframes: 3)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/b"), s.log)

        // The source as the server relays it: presentation order differs from decode order. The pictures that
        // are not shown before an earlier one (I and P) are what the filter passes: the rate a smooth player shows.
        let (status, packets) = try runCommand("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v", "-read_intervals", "%+2",
                                                                    "-show_entries", "packet=pts,dts", "-of", "csv=p=0",
                                                                    "rtmp://127.0.0.1:\(rtmp)/live/b"], timeout: 15)
        XCTAssertEqual(status, 0, packets)
        let pts = packets.split(separator: "\n").compactMap { line -> (Int, Int)? in
            let f = line.split(separator: ",").compactMap { Int($0) }
            return f.count == 2 ? (f[0], f[1]) : nil
        }
        XCTAssertGreaterThan(pts.filter { $0.0 != $0.1 }.count, 10, "the source has no B-frames:\n\(packets)")
        var shown = Int.min
        let inOrder = pts.filter { p in
            guard p.0 >= shown else { return false }
            shown = p.0
            return true
        }.count
        let passedShare = Double(inOrder) / Double(max(1, pts.count))
        XCTAssertLessThan(passedShare, 0.5, "x264 -bf 3 sends one P picture in 4:\n\(packets)")

        let r = try ChromiumTests.run(page: "http://127.0.0.1:\(http)/whep_player.html?src=/live/b/whep&window=\(Self.windowSeconds)&timeout=8",
                                      marker: "WHEP-RESULT ",
                                      flags: ["--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
                                      pageTimeout: 8 + Int(Self.windowSeconds))
        XCTAssertEqual(r.int("http"), 201, r.raw + "\n" + s.log)
        XCTAssertEqual(r.string("status"), "ok", r.raw + "\n" + s.log)
        guard let w = r.json["window"] as? [String: Any] else {
            XCTFail("no measurement window: \(r.raw)")
            return nil
        }
        func n(_ key: String) -> Double { (w[key] as? NSNumber)?.doubleValue ?? -1 }
        let window = Window(raw: r.raw, expected: passedShare * Self.fps * n("seconds"), seconds: n("seconds"), framesDecoded: n("framesDecoded"), framesDropped: n("framesDropped"),
                            framesReceived: n("framesReceived"), freezes: n("freezeCount"), freezeSeconds: n("totalFreezesDuration"),
                            pli: n("pliCount"))
        print("Chromium WHEP, B-frame source, bframe_filter \(filter.map(String.init) ?? "default"): \(window.framesDecoded) frames decoded "
              + "in \(window.seconds) s (the source had \(Int(window.seconds * Self.fps)), \(Int(window.expected)) of them in presentation order), "
              + "\(window.framesDropped) dropped, "
              + "\(window.freezes) freezes (\(window.freezeSeconds) s), \(window.pli) PLIs; page: \(r.raw)")
        return window
    }

    /// Smooth: the player decodes at least 85 % of the pictures the source has in presentation order (the most a
    /// receiver that cannot reorder can show) and does not freeze (Chromium counts a freeze when a frame comes
    /// 3 frame-times or 150 ms late).
    static func smooth(_ w: Window) -> Bool {
        w.framesDecoded >= 0.85 * w.expected && w.freezes <= 1 && w.freezeSeconds < 0.5 && w.pli <= 1
    }

    func testBFrameSourcePlaysInChromiumWithoutStutter() throws {
        guard let w = try playBFrameSource(filter: nil) else { return }
        XCTAssertTrue(Self.smooth(w), w.raw)
    }

    /// The measurement without the filter: Chromium stalls on the reordered stream, so the bounds above fail.
    func testWithoutTheFilterChromiumStalls() throws {
        guard let w = try playBFrameSource(filter: false) else { return }
        XCTAssertFalse(Self.smooth(w), w.raw)
    }
}
