import Foundation
import XCTest

/// What the fault tests read of a running server's memory: its resident set from /proc and getStatistic's
/// counters (bytes of media buffers alive, the allocator's bytes in use).
struct ServerMemory {
    let rssBytes: Int
    let mediaBufferBytes: Int
    let heapInUseBytes: Int

    static func read(_ s: ServerProcess, http: Int, maxTime: Int = 5, file: StaticString = #filePath, line: UInt = #line) throws -> ServerMemory {
        let status = (try? String(contentsOfFile: "/proc/\(s.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let rssKb = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        let answer = try managementApi(http, "getStatistic", maxTime: maxTime, file: file, line: line)
        let data = try XCTUnwrap(answer["data"] as? [String: Any], "\(answer)", file: file, line: line)
        func figure(_ name: String) -> Int { (data[name] as? NSNumber)?.intValue ?? -1 }
        return ServerMemory(rssBytes: rssKb * 1024, mediaBufferBytes: figure("MediaBufferBytes"), heapInUseBytes: figure("HeapInUseBytes"))
    }

    /// The least of `samples` readings `apart` seconds apart, field by field: what the server holds throughout,
    /// without the buffers of whatever happens to be in flight at one reading (a queue that grows is in all).
    static func least(_ s: ServerProcess, http: Int, samples: Int = 4, apart: TimeInterval = 0.25,
                      file: StaticString = #filePath, line: UInt = #line) throws -> ServerMemory {
        var all: [ServerMemory] = []
        for i in 0..<samples {
            if i > 0 { Thread.sleep(forTimeInterval: apart) }
            all.append(try read(s, http: http, file: file, line: line))
        }
        return ServerMemory(rssBytes: all.map(\.rssBytes).min() ?? 0, mediaBufferBytes: all.map(\.mediaBufferBytes).min() ?? 0,
                            heapInUseBytes: all.map(\.heapInUseBytes).min() ?? 0)
    }

    var description: String {
        "RSS \(rssBytes >> 20) MB, media buffers \(mediaBufferBytes >> 10) KB, heap in use \(heapInUseBytes >> 10) KB"
    }
}

/// A Python client of `Tests/IntegrationTests/Clients` run with `arguments`, its output lines collected as they come.
final class PythonClient: @unchecked Sendable {
    let process = Process()
    private let lines = LockedLines()

    init(_ script: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-u", Build.repoRoot.appendingPathComponent("Tests/IntegrationTests/Clients/\(script)").path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let collected = lines
        pipe.fileHandleForReading.readabilityHandler = { h in
            let data = h.availableData
            if data.isEmpty { h.readabilityHandler = nil } else { collected.append(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
    }

    deinit { stop() }

    func stop() {
        if process.isRunning { process.interrupt() }
        if process.isRunning { usleep(200_000) }
        if process.isRunning { process.terminate() }
    }

    var output: String { lines.text }

    /// The numbers after the last line that starts with `word` (e.g. "port 4242" -> [4242]), waiting for it.
    func figures(_ word: String, timeout: TimeInterval = 10) -> [Int]? {
        var found: [Int]?
        _ = waitUntil(timeout: timeout) {
            found = self.output.split(separator: "\n").last { $0.hasPrefix(word + " ") }
                .map { $0.split(separator: " ").dropFirst().compactMap { Int($0) } }
            return found != nil
        }
        return found
    }
}

private final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    func append(_ s: String) { lock.lock(); buffer += s; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return buffer }
}
