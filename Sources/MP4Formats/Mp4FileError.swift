/// Why a file could not be read or written. Messages name the box and the value at fault, since the usual
/// reader is someone looking at a log line about a recording.
public enum Mp4FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte source failed or ended early.
    case io(String)
    /// No moov box before the end of the file (a recording cut before its init segment, or not MP4 at all).
    case noMovie
    /// The moov box is larger than the reader will hold in memory.
    case movieTooLarge(size: Int64, limit: Int)
    /// A box layout error (sizes, nesting) inside the named box.
    case box(Mp4BoxError, in: String)
    /// A field or table that cannot be right: counts past the box end, offsets past the file end, zero timescale...
    case malformed(String)
    /// Something valid that this code does not handle (a codec the writer cannot describe, a table type).
    case unsupported(String)

    public var description: String {
        switch self {
        case .io(let m): return "MP4 read failed: \(m)"
        case .noMovie: return "MP4: no moov box (not an MP4 file, or cut before its header was written)"
        case .movieTooLarge(let size, let limit): return "MP4: moov of \(size) bytes exceeds the \(limit)-byte limit"
        case .box(let e, let context): return "MP4: bad box layout in \(context): \(e)"
        case .malformed(let m): return "MP4: \(m)"
        case .unsupported(let m): return "MP4: unsupported: \(m)"
        }
    }
}
