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
    private var launched = false
    /// Set once the exit has been judged, so `stop()` and `deinit` do not report the same crash twice.
    private var judged = false
    /// The test sent SIGKILL itself: the exit status is expected to be the signal's, not 0.
    private var killedOnPurpose = false

    init(config: String, name: String = #function) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-it-\(getpid())-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        configPath = dir.appendingPathComponent("plugins.conf").path
        logPath = dir.appendingPathComponent("server.log").path
        try config.write(toFile: configPath, atomically: false, encoding: .utf8)
    }

    /// A started server with RTMP, RTSP and HTTP on the given ports, plus `extra` config tables. `threads`
    /// fixes the number of event loops for a test whose expectations depend on it (the default is per core);
    /// `server` adds lines to the `[server]` table.
    static func started(rtmp: Int, rtsp: Int, http: Int, playWaitMs: Int = 5000, threads: Int? = nil, server: String = "",
                        extra: String = "", launcher: [String] = [], name: String = #function) throws -> ServerProcess {
        let s = try ServerProcess(config: """
            [server]
            play_wait_ms = \(playWaitMs)
            \(threads.map { "threads = \($0)" } ?? "")
            \(server)
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
        launched = true
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

    func signal(_ sig: Int32) {
        if sig == SIGKILL { killedOnPurpose = true }
        kill(process.processIdentifier, sig)
    }

    /// SIGTERM and wait; returns the exit status. Every test that stops its server this way (or lets it go
    /// out of scope, see `deinit`) fails when the server crashed, logged a Swift runtime trap, or did not
    /// exit 0 within `timeout`: a crash on the way out is a bug even when the test's own checks passed.
    @discardableResult
    func stop(timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        guard launched else { return 0 }
        guard process.isRunning else {
            judgeExit(hung: false, file: file, line: line)
            return process.terminationStatus
        }
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            judgeExit(hung: true, file: file, line: line)
            return -1
        }
        judgeExit(hung: false, file: file, line: line)
        return process.terminationStatus
    }

    /// Lines the Swift runtime, its backtracer or a sanitizer print when the process traps.
    static let crashMarkers = ["Fatal error", "Program crashed", "ERROR: AddressSanitizer", "WARNING: ThreadSanitizer"]

    private func judgeExit(hung: Bool, file: StaticString, line: UInt) {
        guard !judged else { return }
        judged = true
        let text = log
        if let marker = Self.crashMarkers.first(where: { text.contains($0) }) {
            XCTFail("the server log has \"\(marker)\":\n\(Self.tail(text))", file: file, line: line)
        }
        if hung {
            XCTFail("the server did not exit within the stop timeout after SIGTERM:\n\(Self.tail(text))", file: file, line: line)
        } else if !killedOnPurpose && (process.terminationReason != .exit || process.terminationStatus != 0) {
            let how = process.terminationReason == .exit ? "exit status" : "signal"
            XCTFail("the server ended with \(how) \(process.terminationStatus):\n\(Self.tail(text))", file: file, line: line)
        }
    }

    /// The last lines of a log, enough to see a crash's message and backtrace head.
    static func tail(_ text: String, lines: Int = 40) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    deinit {
        guard launched else { return }
        // A test that never called stop(): stop it now so its exit is judged all the same.
        if !judged { stop() }
    }
}

/// A loopback port nobody listens on right now.
func freePort() -> Int {
    // A port free for TCP and UDP alike: tests hand the same helper's ports to UDP listeners (WebRTC, SRT,
    // GB28181), and a TCP-free port may be a busy UDP one.
    for _ in 0..<64 {
        let port = boundPort(type: Int32(SOCK_STREAM.rawValue), port: 0)
        if port > 0, boundPort(type: Int32(SOCK_DGRAM.rawValue), port: port) == port { return port }
    }
    return boundPort(type: Int32(SOCK_STREAM.rawValue), port: 0)
}

/// Binds a socket of `type` on 127.0.0.1:`port` (0: any) and returns the port it got, or 0; closes it again.
private func boundPort(type: Int32, port: Int) -> Int {
    let fd = socket(AF_INET, type, 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    guard rc == 0 else { return 0 }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A TCP listener on 127.0.0.1:`port` (to hold the port), or nil when it is taken.
func listenLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    guard withLoopback(port: port, { bind(fd, $0, $1) }) == 0, listen(fd, 1) == 0 else { close(fd); return nil }
    return fd
}

/// `body` with 127.0.0.1:`port` as a socket address and its length.
private func withLoopback(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

/// A TCP connection to a loopback port with a receive timeout, or nil. `receiveBuffer` (SO_RCVBUF, set before
/// the connect so the window is small from the start) makes a player whose kernel queue fills at once.
func connectLoopback(port: Int, timeout: TimeInterval, receiveBuffer: Int32? = nil) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
    guard withLoopback(port: port, { connect(fd, $0, $1) }) == 0 else { close(fd); return nil }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: suseconds_t((timeout - timeout.rounded(.down)) * 1_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Connects to a loopback port, sends `input`, reads until the peer closes or `timeout`.
func talk(port: Int, _ input: String = "", timeout: TimeInterval = 3) -> String? {
    guard let fd = connectLoopback(port: port, timeout: timeout) else { return nil }
    defer { close(fd) }
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

/// One HTTP or RTSP request sent as is (no client normalises its target) and its response: the status code
/// and the text read until the head and its Content-Length body are in, the peer closes, or `timeout`. A
/// head without Content-Length (a live stream) ends the read with what came with it.
func exchange(port: Int, _ request: String, timeout: TimeInterval = 5) -> (status: Int, text: String) {
    guard let fd = connectLoopback(port: port, timeout: timeout) else { return (0, "connect failed") }
    defer { close(fd) }
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
        guard let headEnd = out.firstRange(of: [13, 10, 13, 10]) else { continue }
        let head = String(decoding: out[..<headEnd.lowerBound], as: UTF8.self)
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
        if out.count - headEnd.upperBound >= (length ?? 0) { break }
    }
    let text = String(decoding: out, as: UTF8.self)
    let status = text.split(separator: "\r\n").first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
    return (status, text)
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

/// A management API call (`path` is what follows /index/api/) through curl: its JSON answer, or
/// ["unparsed": text] when the answer is not JSON.
func managementApi(_ http: Int, _ path: String, maxTime: Int = 5, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let (status, out) = try runCommand("/usr/bin/curl", ["-s", "--max-time", String(maxTime), "http://127.0.0.1:\(http)/index/api/\(path)"],
                                       timeout: TimeInterval(maxTime + 5))
    XCTAssertEqual(status, 0, out, file: file, line: line)
    return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
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
