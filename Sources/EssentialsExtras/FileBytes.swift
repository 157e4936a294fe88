#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes read to its end with read(2) (FileHandle's readDataToEndOfFile, which FoundationEssentials
/// lacks): procfs files report size 0, so the size is never trusted.
public enum FileBytes {
    /// At most `limit` bytes from the start of `path`; nil when it cannot be opened or read.
    public static func read(_ path: String, limit: Int = .max) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.read(fd, base, want)
            }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            out.append(contentsOf: chunk.prefix(n))
        }
        return out
    }
}
