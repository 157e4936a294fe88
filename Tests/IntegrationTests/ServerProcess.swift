import Foundation
import XCTest

/// Paths of the built products: the test bundle sits beside the executable and the plugins.
enum Build {
    static var productsDir: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }
    static var mediarouter: String { productsDir.appendingPathComponent("mediarouter").path }
    static func plugin(_ name: String) -> String { productsDir.appendingPathComponent("libmrplugin_\(name).so").path }
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// Runs `mediarouter` with a config file in a temporary folder, its log captured to a file.
final class ServerProcess {
    let dir: URL
    let configPath: String
    let logPath: String
    let process = Process()
    /// A command the server is started under (e.g. `prlimit --fsize=N --`), empty for none.
    var launcher: [String] = []

    init(config: String, name: String = #function) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-it-\(getpid())-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        configPath = dir.appendingPathComponent("plugins.conf").path
        logPath = dir.appendingPathComponent("server.log").path
        try config.write(toFile: configPath, atomically: false, encoding: .utf8)
    }

    /// A started server with RTMP, RTSP and HTTP on the given ports, plus `extra` config tables.
    static func started(rtmp: Int, rtsp: Int, http: Int, playWaitMs: Int = 5000, extra: String = "",
                        launcher: [String] = [], name: String = #function) throws -> ServerProcess {
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = \(playWaitMs)
            [rtmp]
            port = \(rtmp)
            [rtsp]
            port = \(rtsp)
            [httpmux]
            port = \(http)
            \(extra)
            """, name: name)
        s.launcher = launcher
        try s.start()
        return s
    }

    func start() throws {
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        if let tool = launcher.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(launcher.dropFirst()) + [Build.mediarouter, "-c", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: Build.mediarouter)
            process.arguments = ["-c", configPath]
        }
        process.standardError = log
        process.standardOutput = log
        try process.run()
        // Clients connect right after this returns: one started before the listeners are bound is refused (seen
        // under ThreadSanitizer, whose start-up takes a second or more). A server that exits is not waited for.
        _ = waitUntil(timeout: 30) { !process.isRunning || self.log.contains("ready (plugins started)") }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func waitForLog(_ text: String, count: Int = 1, timeout: TimeInterval = 10) -> Bool {
        waitUntil(timeout: timeout) { self.log.components(separatedBy: text).count - 1 >= count }
    }

    /// Rewrites the config in place (same inode, as an editor saving over it would not guarantee; the
    /// watcher compares mtime, size and inode).
    func rewrite(_ config: String) throws { try config.write(toFile: configPath, atomically: true, encoding: .utf8) }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 10) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// A loopback port nobody listens on right now.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Connects to a loopback port, sends `input`, reads until the peer closes or `timeout`.
func talk(port: Int, _ input: String = "", timeout: TimeInterval = 3) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard ok == 0 else { return nil }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    if !input.isEmpty { _ = input.withCString { send(fd, $0, strlen($0), 0) } }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return String(decoding: out, as: UTF8.self)
}

/// The counting sink's view of one stream.
struct SinkStats {
    let frames: Int, gaps: Int, skips: Int, starts: Int, firstKey: Bool, backwards: Int

    static func read(port: Int, stream: String) -> SinkStats? {
        guard let line = talk(port: port), let data = line.data(using: .utf8),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let streams = json["streams"] as? [String: Any], let s = streams[stream] as? [String: Any] else { return nil }
        return SinkStats(frames: s["frames"] as? Int ?? 0, gaps: s["gaps"] as? Int ?? -1, skips: s["skips"] as? Int ?? -1,
                         starts: s["starts"] as? Int ?? 0, firstKey: s["first_key"] as? Bool ?? false,
                         backwards: s["backwards"] as? Int ?? -1)
    }
}

func waitUntil(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// Runs a command and returns its exit status and combined output.
func runCommand(_ path: String, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
