import Foundation
import XCTest

/// Real third-party clients the integration tests drive: ffmpeg, ffprobe, GStreamer.
enum MediaTools {
    /// Starts ffmpeg publishing a synthetic 320x240 25 fps H.264 (GOP 25, no B-frames unless asked) +
    /// AAC 44.1 kHz stream for `seconds`, in real time.
    static func publish(_ url: String, seconds: Int, format: String = "flv", bframes: Int = 0,
                        extra: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        p.arguments = publishArguments(url, seconds: seconds, format: format, bframes: bframes, extra: extra)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// `publish` to a server just started, which is stopped again when ffmpeg cannot be started: no server
    /// outlives the test that started it.
    static func publish(_ url: String, to server: ServerProcess, seconds: Int) throws -> Process {
        do {
            return try publish(url, seconds: seconds)
        } catch {
            server.stop()
            throw error
        }
    }

    static func publishArguments(_ url: String, seconds: Int, format: String = "flv", bframes: Int = 0,
                                 extra: [String] = []) -> [String] {
        ["-hide_banner", "-loglevel", "error", "-re",
         "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", String(bframes),
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"] + extra + ["-f", format, url]
    }

    /// A publish expected to be refused: ffmpeg's exit status and what it printed (for RTMP, a refusal by
    /// the server reads "Server error: <onStatus description>"; a dropped connection does not).
    static func refusedPublish(_ url: String, format: String = "flv", extra: [String] = [],
                               timeout: TimeInterval = 10) throws -> (Int32, String) {
        try runCommand("/usr/bin/ffmpeg", publishArguments(url, seconds: 8, format: format, extra: extra), timeout: timeout)
    }

    /// The two sources the player tests use: live/a over RTMP without B-frames, and live/b over RTSP (TCP)
    /// with two B-frames, whose composition offsets the players must honour. Returns once the server has
    /// both; the caller terminates them.
    static func publishRtmpAndRtsp(to s: ServerProcess, rtmp: Int, rtsp: Int, seconds: Int,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> [Process] {
        let viaRtmp = try publish("rtmp://127.0.0.1:\(rtmp)/live/a", seconds: seconds)
        let viaRtsp: Process
        do {
            viaRtsp = try publish("rtsp://127.0.0.1:\(rtsp)/live/b", seconds: seconds, format: "rtsp", bframes: 2,
                                  extra: ["-rtsp_transport", "tcp"])
        } catch {
            viaRtmp.terminate()
            throw error
        }
        XCTAssertTrue(s.waitForLog("publish /live/a"), s.log, file: file, line: line)
        XCTAssertTrue(s.waitForLog("publish live/b from"), s.log, file: file, line: line)
        return [viaRtmp, viaRtsp]
    }

    struct Probe {
        var videoCodec = "", audioCodec = ""
        var width = 0, height = 0
        var videoFrames = 0, audioFrames = 0
        var videoDts: [Double] = []
        var audioDts: [Double] = []
        var firstVideoKey = false

        /// Each track's packet timestamps strictly increase (a repeated or backward stamp is a duplicated or
        /// reordered frame); video is compared in decode order.
        var timestampsIncrease: Bool { MediaTools.isIncreasing(videoDts) && MediaTools.isIncreasing(audioDts) }
    }

    /// Decodes a file or URL with ffprobe: codecs, size, decoded frame counts, packet timestamps per track.
    /// With `from`, ffprobe seeks there first (over RTSP, a PLAY with a Range) and reads `seconds` from it.
    static func probe(_ input: String, seconds: Double? = nil, from: Double? = nil, timeout: TimeInterval = 30,
                      extra: [String] = []) throws -> Probe {
        var args = extra + ["-hide_banner", "-v", "error", "-count_frames",
                    "-show_entries", "stream=codec_type,codec_name,width,height,nb_read_frames:packet=codec_type,dts_time,flags",
                    "-of", "compact=p=0:nk=0"]
        if let seconds { args += ["-read_intervals", "\(from.map { String($0) } ?? "")%+\(seconds)"] }
        let (status, out) = try runCommand("/usr/bin/ffprobe", args + [input], timeout: timeout)
        guard status == 0 else { throw NSError(domain: "ffprobe", code: Int(status), userInfo: [NSLocalizedDescriptionKey: out]) }
        var p = Probe()
        var sawVideoPacket = false
        for line in out.split(separator: "\n") {
            var f: [String: String] = [:]
            for kv in line.split(separator: "|") {
                let parts = kv.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { f[String(parts[0])] = String(parts[1]) }
            }
            if f["nb_read_frames"] != nil {
                if f["codec_type"] == "video" {
                    p.videoCodec = f["codec_name"] ?? ""
                    p.width = Int(f["width"] ?? "") ?? 0
                    p.height = Int(f["height"] ?? "") ?? 0
                    p.videoFrames = Int(f["nb_read_frames"] ?? "") ?? 0
                } else if f["codec_type"] == "audio" {
                    p.audioCodec = f["codec_name"] ?? ""
                    p.audioFrames = Int(f["nb_read_frames"] ?? "") ?? 0
                }
            } else if f["codec_type"] == "video", let dts = f["dts_time"].flatMap(Double.init) {
                if !sawVideoPacket { p.firstVideoKey = (f["flags"] ?? "").hasPrefix("K") }
                sawVideoPacket = true
                p.videoDts.append(dts)
            } else if f["codec_type"] == "audio", let dts = f["dts_time"].flatMap(Double.init) {
                p.audioDts.append(dts)
            }
        }
        return p
    }

    /// What ffprobe printed when `input` failed to play, nil when it played: refusals are told apart by it.
    static func probeFailure(_ input: String, seconds: Double = 1, timeout: TimeInterval = 15, extra: [String] = []) -> String? {
        do {
            _ = try probe(input, seconds: seconds, timeout: timeout, extra: extra)
            return nil
        } catch {
            return (error as NSError).localizedDescription
        }
    }

    /// Copies `seconds` of a live URL into a file with ffmpeg (no re-encoding).
    static func record(_ url: String, to path: String, seconds: Double, timeout: TimeInterval = 30) throws -> (Int32, String) {
        try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", url, "-t", String(seconds),
                                           "-c", "copy", "-f", "flv", path], timeout: timeout)
    }

    static func isMonotonic(_ values: [Double]) -> Bool { zip(values, values.dropFirst()).allSatisfy { $0 <= $1 } }
    static func isIncreasing(_ values: [Double]) -> Bool { zip(values, values.dropFirst()).allSatisfy { $0 < $1 } }
}

/// Runs a command with a time limit; returns its exit status and combined output.
func runCommand(_ path: String, _ args: [String], timeout: TimeInterval) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("mr-cmd-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    let handle = try FileHandle(forWritingTo: out)
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning {
        p.terminate()
        p.waitUntilExit()
    }
    try? handle.close()
    return (p.isRunning ? -1 : p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
}

/// A minimal WebSocket client (RFC 6455) that collects binary message payloads.
enum WebSocketClient {
    static func collect(port: Int, path: String, seconds: Double) -> (status: String, payload: [UInt8], closeCode: Int?) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0 else { return ("connect failed", [], nil) }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        var closed = false
        while Date() < deadline && !closed {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { closed = true } else if n > 0 { data.append(contentsOf: buf[0..<n]) }
        }
        guard let headEnd = data.firstRange(of: [13, 10, 13, 10]) else { return ("no response", [], nil) }
        let status = String(decoding: data[0..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        var i = headEnd.upperBound
        var payload = [UInt8]()
        var closeCode: Int?
        while data.count - i >= 2 {
            let opcode = data[i] & 0x0F
            var len = Int(data[i + 1] & 0x7F)
            var p = i + 2
            if len == 126 { guard data.count - p >= 2 else { break }; len = Int(data[p]) << 8 | Int(data[p + 1]); p += 2 }
            else if len == 127 { guard data.count - p >= 8 else { break }; len = (0..<8).reduce(0) { $0 << 8 | Int(data[p + $1]) }; p += 8 }
            guard data.count - p >= len else { break }
            if opcode == 2 { payload.append(contentsOf: data[p..<(p + len)]) }
            if opcode == 8, len >= 2 { closeCode = Int(data[p]) << 8 | Int(data[p + 1]) }
            i = p + len
        }
        return (status, payload, closeCode)
    }
}
