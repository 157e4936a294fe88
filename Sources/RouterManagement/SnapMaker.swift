#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import EssentialsExtras
import MRPluginKit
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// getSnap's JPEGs: one frame of a URL decoded by ffmpeg, cached under [api] snap_root by a hash of the
/// URL. ffmpeg runs as a child process whose end is polled (no thread waits on it; the cache is read
/// and written on a dispatch queue, never on a loop); at most `maxRunning` at once, each killed at its
/// timeout, and callers asking for a URL already being snapped wait for that run instead of starting one.
final class SnapMaker: @unchecked Sendable {
    static let maxRunning = 4
    typealias Done = @Sendable (Result<[UInt8], ApiError>) -> Void

    private let lock = NIOLock()
    private var inFlight: [String: [Done]] = [:]
    private let queue = DispatchQueue(label: "mediarouter.getSnap", attributes: .concurrent)

    /// `inputOptions`: ffmpeg input options the pulling plugin declares for such a URL; `protocols`: the URL
    /// schemes plugins pull, allowed to ffmpeg beside its transport protocols.
    func snap(url: String, inputOptions: [String] = [], protocols: [String] = [], timeoutSec: Double, expireSec: Double, root: String,
              done: @escaping Done) {
        queue.async { [self] in
            let name = TextHash.hex(url)
            let file = URL(fileURLWithPath: root).appendingPathComponent("\(name).jpg")
            if expireSec > 0, let cached = Self.fresh(file, maxAge: expireSec) { return done(.success(cached)) }
            let first = lock.withLock { () -> Bool? in
                if inFlight[name] != nil {
                    inFlight[name]?.append(done)
                    return false
                }
                guard inFlight.count < Self.maxRunning else { return nil }
                inFlight[name] = [done]
                return true
            }
            switch first {
            case nil: done(.failure(ApiError(.other, "too many snapshots in progress (\(Self.maxRunning)); try again later")))
            case false?: break
            case true?: run(url: url, input: inputOptions, protocols: protocols, file: file, timeoutSec: timeoutSec, name: name)
            }
        }
    }

    private func run(url: String, input inputOptions: [String], protocols: [String], file: URL, timeoutSec: Double, name: String) {
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            return finish(name, .failure(ApiError(.other, "cannot create snap_root \(file.deletingLastPathComponent().path): \(error)")))
        }
        // Written aside and renamed: a cache reader never sees half a file.
        let partial = file.deletingLastPathComponent().appendingPathComponent(".\(name).\(UInt32.random(in: 0...UInt32.max)).jpg")
        // Network inputs only: a playlist or redirect must not lead ffmpeg to local files.
        let transports = ["tcp", "udp", "rtp", "tls", "crypto", "httpproxy", "http", "https"]
        let allowed = (transports + protocols.filter { !transports.contains($0) }).joined(separator: ",")
        let input = inputOptions + ["-protocol_whitelist", allowed, "-i", url]
        let arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + input
            + ["-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", partial.path]
        // A file, not a pipe: nobody reads while ffmpeg runs, and a full pipe would block it.
        let log = partial.appendingPathExtension("log")
        let timedOut = LockedValue(false)
        let ended: @Sendable (Int32) -> Void = { [self] terminationStatus in
            queue.async { [self] in
                let stderr = String(decoding: ((try? Data(contentsOf: log)) ?? Data()).suffix(300), as: UTF8.self)
                defer {
                    try? FileManager.default.removeItem(at: partial)
                    try? FileManager.default.removeItem(at: log)
                }
                if timedOut.withLock({ $0 }) {
                    return finish(name, .failure(ApiError(.other, "ffmpeg found no picture within \(timeoutSec) s")))
                }
                guard terminationStatus == 0, let bytes = try? Data(contentsOf: partial), !bytes.isEmpty else {
                    let why = stderr.trimmingSpacesAndNewlines()
                    return finish(name, .failure(ApiError(.other, "ffmpeg failed (\(terminationStatus)): \(why.isEmpty ? "no picture" : why)")))
                }
                _ = try? FileManager.default.removeItem(at: file)
                try? FileManager.default.moveItem(at: partial, to: file)
                Self.prune(file.deletingLastPathComponent(), keep: Self.maxCached)
                finish(name, .success(Array(bytes)))
            }
        }
        let p: ChildProcess
        do {
            p = try ChildProcess(path: "/usr/bin/env", arguments: arguments, stderrPath: log.path, queue: queue, ended: ended)
        } catch {
            try? FileManager.default.removeItem(at: log)
            return finish(name, .failure(ApiError(.other, "cannot run ffmpeg: \(error)")))
        }
        queue.asyncAfter(deadline: .now() + timeoutSec) {
            guard p.isRunning else { return }
            timedOut.withLock { $0 = true }
            p.signal(SIGTERM)
            // ffmpeg may sit in a blocking read that SIGTERM does not end.
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { p.signal(SIGKILL) }
        }
    }

    /// Pictures kept in snap_root; callers choose the URLs, so the cache is bounded by count, oldest out first.
    static let maxCached = 256

    private static func prune(_ dir: URL, keep: Int) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else { return }
        let files = names.filter { $0.hasSuffix(".jpg") && !$0.hasPrefix(".") }.map { dir.appendingPathComponent($0) }
        guard files.count > keep else { return }
        let dated = files.map { f in (f, ((try? fm.attributesOfItem(atPath: f.path))?[.modificationDate] as? Date) ?? .distantPast) }
        for (f, _) in dated.sorted(by: { $0.1 < $1.1 }).prefix(files.count - keep) { try? fm.removeItem(at: f) }
    }

    private func finish(_ name: String, _ result: Result<[UInt8], ApiError>) {
        let waiting = lock.withLock { inFlight.removeValue(forKey: name) ?? [] }
        for done in waiting { done(result) }
    }

    /// The cached JPEG when it is younger than `maxAge` seconds.
    private static func fresh(_ file: URL, maxAge: Double) -> [UInt8]? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) < maxAge,
              let data = try? Data(contentsOf: file), !data.isEmpty else { return nil }
        return Array(data)
    }
}
