import Foundation
import XCTest

/// The SRT clients the SRT tests drive: ffmpeg (mpegts over srt://), a ctypes libsrt caller that reports
/// reject reasons, srt-live-transmit, GStreamer's srtsink, and a lossy UDP relay.
enum SrtTools {
    static var clients: String { Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients").path }

    /// ffmpeg's SRT URL: the streamid as it is (ffmpeg sends it verbatim, '#' included), latency in
    /// microseconds as ffmpeg takes it.
    static func url(port: Int, streamId: String, passphrase: String? = nil, latencyMs: Int = 200) -> String {
        var u = "srt://127.0.0.1:\(port)?streamid=\(streamId)&latency=\(latencyMs * 1000)"
        if let passphrase { u += "&passphrase=\(passphrase)" }
        return u
    }

    /// ffmpeg publishing the synthetic H.264 + AAC source over SRT for `seconds`.
    static func publish(port: Int, streamId: String, seconds: Int, passphrase: String? = nil) throws -> Process {
        try MediaTools.publish(url(port: port, streamId: streamId, passphrase: passphrase), seconds: seconds, format: "mpegts")
    }

    /// A server whose `[srt]` table holds `extra`, and ffmpeg publishing live/`stream` to it over SRT for 20 s,
    /// once the server says it is publishing. The caller stops both.
    static func publishing(_ extra: String, stream: String, name: String = #function) throws -> (ServerProcess, srt: Int, http: Int, Process) {
        let srt = freePort(), http = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http, extra: "[srt]\nport = \(srt)\n\(extra)", name: name)
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publisher = try publish(port: srt, streamId: "#!::r=live/\(stream),m=publish", seconds: 20)
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)
        return (s, srt, http, publisher)
    }

    /// The ctypes caller's first line: "connected", "rejected <code>", or what went wrong.
    static func client(port: Int, streamId: String, args: [String] = [], timeout: TimeInterval = 15) throws -> String {
        let out = try clientLines(port: port, streamId: streamId, args: args, timeout: timeout)
        return out.first ?? ""
    }

    /// Every line srt_client.py printed: after "connected", a `--send-junk` run says "closed by server: ..."
    /// when the server hangs up on it.
    static func clientLines(port: Int, streamId: String, args: [String] = [], timeout: TimeInterval = 15) throws -> [String] {
        let (_, out) = try runCommand("/usr/bin/python3", ["\(clients)/srt_client.py", "127.0.0.1", String(port), streamId] + args,
                                      timeout: timeout)
        return out.split(separator: "\n").map(String.init)
    }

    static func process(_ path: String, _ args: [String], stdout: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let stdout {
            FileManager.default.createFile(atPath: stdout, contents: nil)
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func stop(_ p: Process) {
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
    }

    /// A management API call's JSON answer (GET, parameters URL-encoded).
    static func api(_ http: Int, _ name: String, _ params: [String: String] = [:]) throws -> [String: Any] {
        let args = ["-s", "-G", "--max-time", "20", "http://127.0.0.1:\(http)/index/api/\(name)"]
            + params.sorted { $0.key < $1.key }.flatMap { ["--data-urlencode", "\($0.key)=\($0.value)"] }
        let (_, out) = try runCommand("/usr/bin/curl", args, timeout: 25)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    /// getAllSession's SRT entries (the plugin's `sessions` declaration), live from libsrt.
    static func sessions(_ http: Int, _ params: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let answer = try api(http, "getAllSession", params)
        XCTAssertEqual((answer["code"] as? NSNumber)?.intValue, 0, "\(answer)", file: file, line: line)
        return (answer["data"] as? [[String: Any]] ?? []).filter { $0["typeid"] as? String == "srt" }
    }

    /// The value of one of the srt plugin's stats in /metrics (nil when absent).
    static func metric(http: Int, _ name: String) -> Int? {
        guard let text = talk(port: http, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n") else { return nil }
        let prefix = "mediarouter_plugin_stat{plugin=\"srt\",name=\"\(name)\"} "
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.dropFirst(prefix.count)).map { Int($0) }
        }
        return nil
    }

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mr-srt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
    }
}
