#if canImport(Glibc)
import Glibc
#endif
import MRPluginKit
import PluginABI

/// Writes one recording file on worker threads, never on a loop: the loop queues bytes, one worker job at a
/// time drains the queue in order. A failed write (disk full, unwritable path) stops the file for good and is
/// reported once, on the recorder's loop; a queue that outgrows `maxQueued` (a disk slower than the stream)
/// counts as a failure rather than growing without bound.
final class RecordFileWriter: @unchecked Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var queued = 0
        var running = false
        var closing = false
        var closed = false
        var reported = false
        var error: String?
        var fd: Int32 = -1
        var written: Int64 = 0
        var path: String
    }

    let path: String
    private let host: PluginHost
    private let loop: Int32
    private let state: LockedValue<State>
    /// Runs once on the loop: after the file is closed (nil) or at the first error.
    var onFinish: ((_ error: String?, _ size: Int64) -> Void)?
    static let maxQueued = 64 << 20

    init(host: PluginHost, path: String, loop: Int32) {
        self.host = host
        self.path = path
        self.loop = loop
        state = LockedValue(State(path: path))
    }

    /// The file actually written (the asked path, or one with a -N suffix when that was taken).
    var actualPath: String { state.withLock { $0.path } }

    /// [loop] Queues bytes; false once the file has failed.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        let start = state.withLock { s -> Bool? in
            guard s.error == nil, !s.closing else { return nil }
            if s.queued + bytes.count > Self.maxQueued {
                s.error = "the disk does not keep up (\(Self.maxQueued >> 20) MB queued)"
                s.queue.removeAll()
                s.queued = 0
                return false
            }
            s.queue.append(bytes)
            s.queued += bytes.count
            defer { s.running = true }
            return !s.running
        }
        guard let start else { return false }
        if start { kick() } else if state.withLock({ $0.error != nil }) { reportOnLoop() }
        return true
    }

    /// [loop] No more bytes: the file is closed after the queue drains, then `onFinish` runs.
    func close() {
        let start = state.withLock { s -> Bool in
            s.closing = true
            defer { s.running = true }
            return !s.running
        }
        if start { kick() }
    }

    private func kick() {
        if !host.onWorker({ self.drain() }, thenOnLoop: loop, { self.drained() }) {
            state.withLock {
                $0.error = "no worker thread: \(host.lastError)"
                $0.running = false
            }
            reportOnLoop()
        }
    }

    /// [worker]
    private func drain() {
        while true {
            let (batch, closing, fd0, failed) = state.withLock { s -> ([[UInt8]], Bool, Int32, Bool) in
                let b = s.queue
                s.queue.removeAll(keepingCapacity: true)
                s.queued = 0
                return (b, s.closing, s.fd, s.error != nil)
            }
            if failed { break }
            var fd = fd0
            if fd < 0 {
                switch Self.open(path) {
                case .success(let f, let actual):
                    fd = f
                    state.withLock {
                        $0.fd = f
                        $0.path = actual
                    }
                case .failure(let message):
                    state.withLock { $0.error = message }
                    break
                }
                if fd < 0 { break }
            }
            var error: String?
            var written: Int64 = 0
            for chunk in batch where error == nil {
                if let e = Self.writeAll(fd, chunk) { error = e } else { written += Int64(chunk.count) }
            }
            let more = state.withLock { s -> Bool in
                s.written += written
                if let error { s.error = "\(path): \(error)" }
                if s.error != nil { return false }
                if !s.queue.isEmpty { return true }
                if closing, !s.closed {
                    Glibc.close(s.fd)
                    s.fd = -1
                    s.closed = true
                }
                return false
            }
            if !more { break }
        }
        state.withLock { s in
            if s.error != nil, s.fd >= 0 {
                Glibc.close(s.fd)
                s.fd = -1
            }
            s.running = false
        }
    }

    /// [loop] After a worker job: report an error or the close; more bytes may have come meanwhile.
    private func drained() {
        let (needsJob, finished) = state.withLock { s -> (Bool, Bool) in
            if s.error != nil || s.closed { return (false, true) }
            let more = !s.queue.isEmpty || (s.closing && !s.closed)
            if more, !s.running { s.running = true; return (true, false) }
            return (false, false)
        }
        if needsJob { kick() }
        if finished { reportOnLoop() }
    }

    private func reportOnLoop() {
        let (report, error, size) = state.withLock { s -> (Bool, String?, Int64) in
            guard !s.reported, s.error != nil || s.closed else { return (false, nil, 0) }
            s.reported = true
            return (true, s.error, s.written)
        }
        if report {
            let finish = onFinish
            onFinish = nil   // breaks the cycle with the recorder
            finish?(error, size)
        }
    }

    // MARK: POSIX

    private enum Opened { case success(Int32, String), failure(String) }

    private static func open(_ path: String) -> Opened {
        if let dir = path.lastIndex(of: "/").map({ String(path[..<$0]) }), !dir.isEmpty, let e = makeDirectories(dir) {
            return .failure("cannot create \(dir): \(e)")
        }
        // Never truncate a file another writer may still be finishing (two files named in the same second):
        // a name already taken gets -1, -2, ... before its extension.
        let dot = path.lastIndex(of: ".").flatMap { d in path.lastIndex(of: "/").map { $0 < d ? d : path.endIndex } ?? d }
            ?? path.endIndex
        for n in 0..<100 {
            let candidate = n == 0 ? path : String(path[..<dot]) + "-\(n)" + String(path[dot...])
            let fd = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return .success(fd, candidate) }
            if errno != EEXIST { return .failure("cannot open \(candidate): \(String(cString: strerror(errno)))") }
        }
        return .failure("\(path): 100 files of that name exist already")
    }

    private static func makeDirectories(_ dir: String) -> String? {
        var partial = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            partial += "/" + part
            if mkdir(partial, 0o755) != 0, errno != EEXIST { return String(cString: strerror(errno)) }
        }
        var st = stat()
        if stat(dir, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR { return "not a directory" }
        return nil
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                if n == 0 { return "write returned 0" }
                offset += n
            }
            return nil
        }
    }
}
