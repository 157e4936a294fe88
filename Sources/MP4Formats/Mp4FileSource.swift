#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read with pread, which keeps no file position, so one source can serve concurrent readers.
/// The size is taken once at open: a recording still being written is read as it was then.
public final class Mp4FileSource: Mp4ByteSource, Sendable {
    private let fd: Int32
    public let size: Int64

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Mp4FileError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Mp4FileError.io("cannot size \(path): \(reason)")
        }
        self.fd = fd
        self.size = Int64(end)
    }

    deinit { close(fd) }

    public func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0 else { throw Mp4FileError.io("read of \(count) bytes at \(offset)") }
        let wanted = Int(min(Int64(count), max(0, size - offset)))
        var out = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let n = out.withUnsafeMutableBytes { buf in
                pread(fd, buf.baseAddress.map { $0 + done }, wanted - done, off_t(offset + Int64(done)))
            }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Mp4FileError.io("read at \(offset + Int64(done)): \(String(cString: strerror(errno)))") }
            if n == 0 { break }                 // the file shrank since it was opened
            done += n
        }
        return done == wanted ? out : Array(out.prefix(done))
    }
}
