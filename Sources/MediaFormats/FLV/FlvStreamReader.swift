/// An FLV byte stream (HTTP-FLV) cut into tags as its bytes arrive in any chunking: the file header, then
/// tags with their PreviousTagSize. Between calls it holds at most one incomplete tag, of at most
/// `maxTagBytes`, so a hostile server cannot make it buffer more.
public struct FlvStreamReader {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A 4K keyframe is a few MB; the FLV limit (24-bit size) is 16 MB.
    public static let defaultMaxTagBytes = 8 << 20
    /// The header's DataOffset is 9 in every FLV version there is; a larger one only skips bytes.
    static let maxHeaderBytes = 1024

    public let maxTagBytes: Int
    private var buffer: [UInt8] = []
    private var headerRead = false

    public init(maxTagBytes: Int = defaultMaxTagBytes) { self.maxTagBytes = maxTagBytes }

    /// The tags completed by `bytes` (their bodies slices of a buffer the reader no longer changes).
    public mutating func push<C: Collection>(_ bytes: C) throws(Failure) -> [FlvFraming.ParsedTag] where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if !headerRead {
            guard try readHeader() else { return [] }
        }
        guard let (tags, used) = FlvFraming.parseTags(buffer[...], maxTagSize: maxTagBytes) else {
            throw Failure(description: "FLV tag over \(maxTagBytes) bytes")
        }
        // A new array: the tags' slices keep the old one.
        if used > 0 { buffer = Array(buffer[used...]) }
        return tags
    }

    /// "FLV", version, flags, DataOffset (big-endian), then PreviousTagSize0; false until all have arrived.
    private mutating func readHeader() throws(Failure) -> Bool {
        if buffer.count >= 3, buffer[0] != 0x46 || buffer[1] != 0x4C || buffer[2] != 0x56 {
            throw Failure(description: "not an FLV stream (no FLV signature)")
        }
        guard buffer.count >= 9 else { return false }
        let offset = Int(buffer[5]) << 24 | Int(buffer[6]) << 16 | Int(buffer[7]) << 8 | Int(buffer[8])
        guard offset >= 9, offset <= Self.maxHeaderBytes else { throw Failure(description: "bad FLV header size \(offset)") }
        guard buffer.count >= offset + 4 else { return false }
        buffer = Array(buffer[(offset + 4)...])
        headerRead = true
        return true
    }
}
