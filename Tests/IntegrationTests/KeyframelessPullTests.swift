import Foundation
import XCTest

/// A pulled source that never sends a keyframe (Clients/flv_keyframeless_server.py: ffmpeg's inter frames
/// only, at 16 times real time): the server keeps no more of it than `gop_cache_frames`, its players wait and
/// get no frame, and another stream plays at its rate meanwhile.
final class KeyframelessPullTests: XCTestCase {
    func testASourceWithoutKeyframesKeepsBoundedMemoryAndPlayersWait() throws {
        let clip = FileManager.default.temporaryDirectory.appendingPathComponent("mr-kfless-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).flv").path
        defer { try? FileManager.default.removeItem(atPath: clip) }
        // 2 s of 640x360 at a constant 4 Mbit/s: inter frames of about 20 KB each.
        let (made, out) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                                                             "-i", "testsrc2=s=640x360:r=25,noise=alls=30:allf=t", "-t", "2",
                                                             "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", "0",
                                                             "-pix_fmt", "yuv420p", "-b:v", "4M", "-minrate", "4M", "-maxrate", "4M",
                                                             "-bufsize", "400k", "-x264-params", "nal-hrd=cbr", "-f", "flv", clip], timeout: 30)
        XCTAssertEqual(made, 0, out)
        let framesPerSecond = 400
        let origin = try PythonClient("flv_keyframeless_server.py", [clip, String(framesPerSecond)])
        defer { origin.stop() }
        let originPort = try XCTUnwrap(origin.figures("port")?.first, origin.output)
        let maxFrame = try XCTUnwrap(origin.figures("max_frame")?.first, origin.output)

        let gopCache = 128, ringFrames = 2048
        let (rtmp, rtsp, http) = (freePort(), freePort(), freePort())
        let s = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, playWaitMs: 3000,
                                          server: "ring_frames = \(ringFrames)\ngop_cache_frames = \(gopCache)")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        let publisher = try MediaTools.publish("rtmp://127.0.0.1:\(rtmp)/live/ok", seconds: 30)
        defer { publisher.terminate() }
        XCTAssertTrue(s.waitForLog("publish /live/ok"), s.log)
        sleep(1)
        let before = try ServerMemory.read(s, http: http)

        let added = try managementApi(http, "addStreamProxy?app=kf&stream=none&url=http://127.0.0.1:\(originPort)/live/none.flv")
        XCTAssertEqual((added["code"] as? NSNumber)?.intValue, 0, "\(added)")
        XCTAssertTrue(waitUntil(timeout: 5) { s.log.contains("kf/none") }, s.log)

        // A player of it waits: in 2 s it gets the FLV header and the codec configuration, no frame. The
        // other stream's player, at the same time, gets its 2 s at 25 fps.
        let started = Date()
        let waiting = FlvTagCounter(port: http, path: "/kf/none.live.flv")
        let other = try MediaTools.probe("http://127.0.0.1:\(http)/live/ok.live.flv", seconds: 2)
        XCTAssertGreaterThanOrEqual(other.videoFrames, 45, "the other stream was held back")
        waiting.read(until: started.addingTimeInterval(3))
        XCTAssertEqual(waiting.mediaTags, 0, "a frame reached a player of a stream without keyframes")
        XCTAssertTrue(waiting.status.hasPrefix("HTTP/1.1 200"), waiting.status)

        // By now the origin sent 1.5 times ring_frames; the server keeps at most gop_cache_frames of them (plus
        // batches in flight) in each of the two rings that hold this stream, the source's frames and the FLV
        // muxer's tags made for the waiting player: not ring_frames (2 x 2048 x 20 KB would be 80 MB).
        XCTAssertTrue(waitUntil(timeout: 6) {
            Double(Date().timeIntervalSince(started)) * Double(framesPerSecond) > Double(ringFrames) * 1.5
        })
        let during = try ServerMemory.read(s, http: http)
        let held = during.mediaBufferBytes - before.mediaBufferBytes
        let allowed = 2 * (gopCache + 64) * maxFrame
        XCTAssertLessThan(held, allowed, "held \(held >> 10) KB of the keyframe-less stream; \(before.description) -> \(during.description)")
        XCTAssertLessThan(during.rssBytes - before.rssBytes, ringFrames * maxFrame / 2,
                          "resident memory grew like the ring's capacity: \(before.description) -> \(during.description)")
        let list = try managementApi(http, "getMediaList?app=kf&stream=none")
        XCTAssertFalse((list["data"] as? [Any] ?? []).isEmpty, "the source is online: \(list)")
        waiting.close()
    }
}

/// A raw HTTP-FLV reader counting the audio and video tags after the codec configuration.
final class FlvTagCounter {
    private let fd: Int32
    private var bytes: [UInt8] = []
    private(set) var status = ""
    private(set) var mediaTags = 0

    init(port: Int, path: String) {
        fd = connectLoopback(port: port, timeout: 0.2) ?? -1
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        if fd >= 0 { _ = request.withCString { send(fd, $0, strlen($0), 0) } }
    }

    deinit { close() }

    func close() { if fd >= 0 { Glibc.close(fd) } }

    /// Reads what arrives until `until`, then parses it.
    func read(until: Date) {
        var buf = [UInt8](repeating: 0, count: 65536)
        while fd >= 0, Date() < until {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { break }
            if n > 0 { bytes += buf[0..<n] }
        }
        guard let headEnd = bytes.firstRange(of: [13, 10, 13, 10]) else { return }
        status = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self)
        // FLV header (9) and PreviousTagSize0 (4), then tags of 11 + size + 4 bytes.
        var i = headEnd.upperBound + 13
        while i + 11 <= bytes.count {
            let type = bytes[i], size = Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let isConfig = (type == 9 && i + 12 < bytes.count && bytes[i + 12] == 0) || (type == 8 && i + 12 < bytes.count && bytes[i + 12] == 0)
            if (type == 8 || type == 9) && !isConfig { mediaTags += 1 }
            i += 11 + size + 4
        }
    }
}
