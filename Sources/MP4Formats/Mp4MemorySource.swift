/// A file already in memory (tests, small files).
public struct Mp4MemorySource: Mp4ByteSource, Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var size: Int64 { Int64(bytes.count) }

    public func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size else { throw Mp4FileError.io("read of \(count) bytes at \(offset) outside 0...\(size)") }
        let start = Int(offset)
        return Array(bytes[start..<(start + min(count, bytes.count - start))])
    }
}
