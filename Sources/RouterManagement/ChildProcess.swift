import CSocketShims
import Dispatch
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A program run in the background (getSnap's ffmpeg) with posix_spawn, in place of Foundation's Process:
/// stdin and stdout on /dev/null, stderr into a file, signals at their defaults and unblocked, no descriptor
/// of the server's inherited. Its end is polled on a dispatch queue: no thread waits on it.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let exitStatus = NIOLockedValueBox<Int32?>(nil)

    struct SpawnError: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { "\(String(cString: strerror(errno))) (errno \(errno))" }
    }

    /// Starts `path` with `arguments` (after argv[0], which is `path`, as Process had it); `ended` runs on `queue` with what
    /// Foundation called the termination status: the exit code, or the number of the signal that killed it.
    init(path: String, arguments: [String], stderrPath: String, queue: DispatchQueue,
         ended: @escaping @Sendable (Int32) -> Void) throws(SpawnError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = mr_shim_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The server blocks or ignores signals on its own threads; ffmpeg must still die of SIGTERM.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw SpawnError(errno: rc) }
        pid = child
        watch(queue: queue, ended: ended)
    }

    /// True until the child has ended and been reaped (its pid may then belong to another process).
    var isRunning: Bool { exitStatus.withLockedValue { $0 == nil } }

    /// Sends `signal` unless the child has been reaped.
    func signal(_ signal: Int32) {
        exitStatus.withLockedValue { status in if status == nil { kill(pid, signal) } }
    }

    private static let pollInterval = DispatchTimeInterval.milliseconds(50)

    private func watch(queue: DispatchQueue, ended: @escaping @Sendable (Int32) -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.pollInterval, repeating: Self.pollInterval)
        timer.setEventHandler { [self] in
            var raw: Int32 = 0
            let reaped = exitStatus.withLockedValue { status -> Int32? in
                guard status == nil else { return nil }
                let rc = waitpid(pid, &raw, WNOHANG)
                if rc == -1, errno != EINTR {
                    // Reaped elsewhere (ECHILD): its status is lost, but it has ended.
                    status = -1
                    return -1
                }
                guard rc == pid else { return nil }
                // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift cannot import (macros).
                let code = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
                status = code
                return code
            }
            guard let reaped else { return }
            timer.cancel()
            ended(reaped)
        }
        timer.resume()
    }
}
