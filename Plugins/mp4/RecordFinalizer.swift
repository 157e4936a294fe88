#if canImport(Glibc)
import Glibc
#endif
import MP4Formats
import MRPluginKit
import PluginABI

/// Rewrites a finished fragmented recording as a progressive faststart file (moov before mdat) on a worker
/// thread: written beside it under a temporary name, then renamed over it, so the recording is never
/// missing or half-written. On failure the fragmented file stays, which plays as well.
final class RecordFinalizer: @unchecked Sendable {
    let path: String
    private let host: PluginHost
    private var error: String?
    private var size: Int64 = 0
    private let done: (_ error: String?, _ size: Int64) -> Void

    init(host: PluginHost, path: String, done: @escaping (_ error: String?, _ size: Int64) -> Void) {
        self.host = host
        self.path = path
        self.done = done
    }

    /// `done` runs on `loop`.
    func start(loop: Int32) {
        if !host.onWorker({ self.run() }, thenOnLoop: loop, { self.done(self.error, self.size) }) {
            done("no worker thread", 0)
        }
    }

    /// [worker]
    private func run() {
        let temporary = path + ".faststart.tmp"
        var fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            error = "cannot create \(temporary): \(String(cString: strerror(errno)))"
            return
        }
        var written: Int64 = 0
        do {
            let source = try Mp4FileSource(path: path)
            try Mp4Faststart.finalize(source: source) { bytes in
                try bytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else { throw WriteFailure(message: String(cString: strerror(errno))) }
                        offset += n
                    }
                }
                written += Int64(bytes.count)
            }
            guard fsync(fd) == 0 else { throw WriteFailure(message: String(cString: strerror(errno))) }
            close(fd)
            fd = -1
            guard rename(temporary, path) == 0 else { throw WriteFailure(message: String(cString: strerror(errno))) }
            size = written
        } catch {
            if fd >= 0 { close(fd) }
            unlink(temporary)
            self.error = "\(path): faststart rewrite failed (the fragmented file is kept): \(error)"
        }
    }

    private struct WriteFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
