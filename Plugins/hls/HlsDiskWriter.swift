#if canImport(Glibc)
import Glibc
#endif
import MRPluginKit
import PluginABI

/// Copies one stream's HLS to `<disk_root>/<app>/<stream>/` (`[hls] disk_root`): segments under the names
/// they are served with, the init segment and both playlists, on a worker thread (never on a loop), and
/// deletes segments that left the store. Memory stays the source of truth: a write error is logged once
/// and serving goes on.
final class HlsDiskWriter: @unchecked Sendable {
    private enum Job {
        case file(String, [OpaquePointer])   // the job owns one reference on each buffer
        case text(String, String)
        case delete(String)
    }

    private struct Queue {
        var jobs: [Job] = []
        var running = false
        var warned = false
    }

    private let host: PluginHost
    private let folder: String
    private let queue = LockedValue(Queue())
    /// Touched by the worker only (one drain runs at a time).
    private var folderMade = false
    /// A disk slower than the stream must not grow memory: past this the oldest jobs are dropped.
    static let maxJobs = 64

    init(host: PluginHost, folder: String) {
        self.host = host
        self.folder = folder
    }

    deinit { for job in queue.withLock({ $0.jobs }) { release(job) } }

    /// Takes the reference on `buf`.
    func writeInit(_ buf: OpaquePointer) { enqueue([.file("hls.fmp4.init.mp4", [buf])]) }

    /// Takes one reference on each of the segment's buffers (the store gave them for this).
    func write(_ segment: HlsStore.Segment, evicted: [Int], playlists: [(HlsRequest.Variant, String?)]) {
        var jobs: [Job] = []
        if let ts = segment.ts { jobs.append(.file("hls.\(segment.sequence).ts", [ts])) }
        if !segment.parts.isEmpty { jobs.append(.file("hls.fmp4.\(segment.sequence).m4s", segment.parts.map(\.buf))) }
        for (variant, text) in playlists {
            if let text { jobs.append(.text(variant == .ts ? "hls.m3u8" : "hls.fmp4.m3u8", text)) }
        }
        for n in evicted { jobs += [.delete("hls.\(n).ts"), .delete("hls.fmp4.\(n).m4s")] }
        enqueue(jobs)
    }

    private func enqueue(_ jobs: [Job]) {
        let (dropped, start) = queue.withLock { q -> ([Job], Bool) in
            q.jobs += jobs
            let over = max(0, q.jobs.count - Self.maxJobs)
            let dropped = Array(q.jobs.prefix(over))
            q.jobs.removeFirst(over)
            defer { q.running = true }
            return (dropped, !q.running)
        }
        if !dropped.isEmpty {
            for job in dropped { release(job) }
            warnOnce("HLS to disk: \(folder) falls behind; \(dropped.count) writes dropped")
        }
        guard start else { return }
        if !host.onWorker({ self.drain() }) {
            let left = queue.withLock { q -> [Job] in
                q.running = false
                defer { q.jobs = [] }
                return q.jobs
            }
            for job in left { release(job) }
            warnOnce("HLS to disk: no worker for \(folder): \(host.lastError)")
        }
    }

    /// [worker] Runs jobs until the queue is empty.
    private func drain() {
        while true {
            let jobs = queue.withLock { q -> [Job] in
                if q.jobs.isEmpty { q.running = false }
                defer { q.jobs = [] }
                return q.jobs
            }
            guard !jobs.isEmpty else { return }
            for job in jobs {
                run(job)
                release(job)
            }
        }
    }

    private func run(_ job: Job) {
        if !folderMade { folderMade = makeFolder() }
        guard folderMade else { return }
        switch job {
        case .file(let name, let bufs):
            write(name) { fd in bufs.allSatisfy { writeAll(fd, host.bytes(of: $0)) } }
        case .text(let name, let text):
            write(name) { fd in Array(text.utf8).withUnsafeBytes { writeAll(fd, $0) } }
        case .delete(let name):
            let path = folder + "/" + name
            if unlink(path) != 0 && errno != ENOENT { warnOnce("HLS to disk: cannot delete \(path): errno \(errno)") }
        }
    }

    /// Written under a temporary name and renamed, so a reader of the folder never sees half a file.
    private func write(_ name: String, _ body: (Int32) -> Bool) {
        let path = folder + "/" + name
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return warnOnce("HLS to disk: cannot write \(temp): errno \(errno)") }
        let ok = body(fd)
        let closed = close(fd) == 0
        guard ok, closed, rename(temp, path) == 0 else {
            _ = unlink(temp)
            return warnOnce("HLS to disk: cannot write \(path): errno \(errno)")
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return false }
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    private func makeFolder() -> Bool {
        var path = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                warnOnce("HLS to disk: cannot create \(path): errno \(errno)")
                return false
            }
        }
        return true
    }

    private func release(_ job: Job) {
        if case .file(_, let bufs) = job { for b in bufs { host.table.buf_release(b) } }
    }

    private func warnOnce(_ message: String) {
        let first = queue.withLock { q -> Bool in
            defer { q.warned = true }
            return !q.warned
        }
        if first { host.log(MR_LOG_WARNING, message + " (further disk errors of this stream are not logged; serving from memory goes on)") }
    }
}
