import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Polls the config file's modification time and size. Polling (not inotify) also catches editors that
/// replace the file and files on network mounts; the cost is one stat per interval.
final class ConfigWatcher: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    private var lastSignature: String?

    init(path: String, intervalMs: Int, queue: DispatchQueue, onChange: @escaping () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: queue)
        lastSignature = Self.signature(path)
        timer.schedule(deadline: .now() + .milliseconds(intervalMs), repeating: .milliseconds(intervalMs))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let now = Self.signature(path)
            if now != self.lastSignature, now != nil {
                self.lastSignature = now
                onChange()
            }
        }
        timer.resume()
    }

    private static func signature(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec).\(st.st_size).\(st.st_ino)"
    }

    func stop() { timer.cancel() }
}
