#if canImport(Glibc)
import Glibc
#endif

/// Text to descriptor 2 as one write(2) per call where the kernel takes it whole (FileHandle.standardError's
/// behaviour): lines from several threads do not interleave.
enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(2, base + done, raw.count - done)
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }
}
