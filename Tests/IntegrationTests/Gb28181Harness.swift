import Foundation
import XCTest

/// A server with the gb28181 plugin driven as wvp-GB28181-pro drives it (form POSTs, secret in the body),
/// and the helpers the GB28181 receive tests share: opening RTP servers, waiting for the stream, running
/// the test suite's own clients.
final class Gb28181Harness {
    let secret = "gbsecret"
    let http = freePort(), rtmp = freePort(), rtsp = freePort()
    let fixedPort: Int
    /// Where openRtpServer and the senders pick their ports, a random 100 of them per server.
    let portRange: ClosedRange<Int>
    let server: ServerProcess

    init(fixedPort: Int = 0, timeout: Int = 15, extra: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        self.fixedPort = fixedPort == 0 ? freePort() : fixedPort
        let low = 40000 + Int.random(in: 0..<200) * 100
        portRange = low...(low + 99)
        server = try ServerProcess.started(rtmp: rtmp, rtsp: rtsp, http: http, extra: """
            [api]
            secret = "\(secret)"
            loopback_exempt = false
            [gb28181]
            port = \(self.fixedPort)
            port_range = "\(low)-\(low + 99)"
            timeout_sec = \(timeout)
            \(extra)
            """)
        XCTAssertTrue(waitUntil(timeout: 10) { (try? self.post("listRtpServer", [:]))?["code"] as? Int == 0 }, server.log,
                      file: file, line: line)
    }

    var log: String { server.log }
    func waitForLog(_ text: String, timeout: TimeInterval = 10) -> Bool { server.waitForLog(text, timeout: timeout) }
    func stop() { _ = server.stop() }

    func post(_ name: String, _ fields: [String: String]) throws -> [String: Any] {
        var all = fields
        all["secret"] = secret
        let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let (status, out) = try runCommand("/usr/bin/curl", ["-s", "--max-time", "10", "-X", "POST", "-H",
                                                             "Content-Type: application/x-www-form-urlencoded", "--data-binary", body,
                                                             "http://127.0.0.1:\(http)/index/api/\(name)"], timeout: 15)
        guard status == 0 else { return ["curl": Int(status)] }
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    /// openRtpServer with wvp's fields; the port it answers.
    func open(_ stream: String, tcpMode: Int = 0, ssrc: String? = nil, extra: [String: String] = [:],
              file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        var f = ["app": "rtp", "stream_id": stream, "port": "0", "tcp_mode": String(tcpMode), "re_use_port": "0", "only_track": "0"]
        if let ssrc { f["ssrc"] = ssrc }
        let r = try post("openRtpServer", f.merging(extra) { $1 })
        XCTAssertEqual(r["code"] as? Int, 0, "\(r)", file: file, line: line)
        return try XCTUnwrap(r["port"] as? Int, "\(r)", file: file, line: line)
    }

    func mediaItem(_ stream: String, schema: String = "rtsp") -> [String: Any]? {
        let list = try? post("getMediaList", ["schema": schema, "app": "rtp", "stream": stream])
        return (list?["data"] as? [[String: Any]])?.first
    }

    /// Waits for the stream, then reads `seconds` of it over RTMP or RTSP (TCP) with ffprobe.
    func probe(_ stream: String, over scheme: String = "rtmp", seconds: Double = 3, wait: TimeInterval = 15,
               file: StaticString = #filePath, line: UInt = #line) throws -> MediaTools.Probe {
        XCTAssertTrue(waitUntil(timeout: wait) { self.mediaItem(stream) != nil }, log, file: file, line: line)
        if scheme == "rtsp" {
            return try MediaTools.probe("rtsp://127.0.0.1:\(rtsp)/rtp/\(stream)", seconds: seconds, extra: ["-rtsp_transport", "tcp"])
        }
        return try MediaTools.probe("rtmp://127.0.0.1:\(rtmp)/rtp/\(stream)", seconds: seconds)
    }

    /// The error lines ffmpeg prints decoding `seconds` of the stream over RTMP (a frame cut short or merged
    /// with the next one shows here, while ffprobe's frame count does not see it).
    func decodeErrors(_ stream: String, seconds: Double = 3) throws -> [String] {
        let (_, out) = try runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-v", "error", "-i", "rtmp://127.0.0.1:\(rtmp)/rtp/\(stream)",
                                                          "-t", String(seconds), "-f", "null", "-"], timeout: 30)
        return out.split(separator: "\n").map(String.init)
    }

    static let clients = Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients")

    /// Clients/ps_rtp_sender.py sending `file` (see its usage) to 127.0.0.1:`port`.
    static func psSender(_ file: String, port: Int, transport: String = "udp", ssrc: UInt32 = 0x12345678, seconds: Double = 4,
                         extra: [String] = []) throws -> Process {
        try launch("/usr/bin/env", ["python3", clients.appendingPathComponent("ps_rtp_sender.py").path, file, "127.0.0.1", String(port),
                                    "--ssrc", String(ssrc), "--transport", transport, "--seconds", String(seconds)] + extra)
    }

    static func launch(_ path: String, _ args: [String], output: FileHandle? = FileHandle.nullDevice) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = output
        p.standardError = output
        try p.run()
        return p
    }

    /// A media file made once per run by ffmpeg from `args` (inputs, codecs, format), in the temporary directory.
    static func make(_ name: String, _ args: [String]) -> String {
        let path = NSTemporaryDirectory() + "mr-gb-\(getpid())-\(name)"
        if !FileManager.default.fileExists(atPath: path) {
            _ = try? runCommand("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + args + [path], timeout: 120)
        }
        return path
    }

    /// ffmpeg's lavfi test inputs: 320x240 25 fps video and a 44.1 kHz sine, `seconds` long.
    static func testInputs(seconds: Int) -> [String] {
        ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-t", String(seconds)]
    }
}
