/// Top-level boxes of a source, read through a small window so a fragmented recording's many small boxes do
/// not cost a read each.
struct Mp4TopLevelWalker<Source: Mp4ByteSource> {
    struct Box {
        let type: String
        let start: Int64
        let size: Int64
        var end: Int64 { start + size }
    }

    let source: Source
    private var position: Int64 = 0
    private var window: [UInt8] = []
    private var windowStart: Int64 = 0
    private static var windowSize: Int { 64 << 10 }

    init(source: Source) { self.source = source }

    mutating func next() throws(Mp4FileError) -> Box? {
        let size = source.size
        guard position < size else { return nil }
        let head = try bytes(at: position, count: 32)
        let header: Mp4BoxHeader?
        do {
            header = try Mp4BoxReader.header(head[...], at: 0, available: Int(clamping: size - position))
        } catch {
            // Fewer bytes than a header at the end of the file is a cut-off tail, not a broken box.
            if case .truncated = error { return nil }
            throw .box(error, in: "top level at \(position)")
        }
        guard let header else { return nil }
        let box = Box(type: header.type, start: position, size: Int64(header.size))
        position = box.end                              // cannot overflow: size <= Int.max and position < size
        return box
    }

    /// The whole box, header included, as its own buffer.
    mutating func read(_ box: Box) throws(Mp4FileError) -> [UInt8] {
        let count = Int(box.size)
        let bytes = try bytes(at: box.start, count: count)
        guard bytes.count == count else { throw .io("\(box.type) at \(box.start): \(bytes.count) of \(count) bytes read") }
        return bytes
    }

    private mutating func bytes(at offset: Int64, count: Int) throws(Mp4FileError) -> [UInt8] {
        let windowEnd = windowStart + Int64(window.count)
        if offset >= windowStart, offset + Int64(count) <= windowEnd {
            let from = Int(offset - windowStart)
            return Array(window[from..<(from + count)])
        }
        if count > Self.windowSize { return try load(offset, count) }
        window = try load(offset, Self.windowSize)
        windowStart = offset
        return Array(window.prefix(count))
    }

    private func load(_ offset: Int64, _ count: Int) throws(Mp4FileError) -> [UInt8] {
        do {
            return try source.read(offset: offset, count: count)
        } catch let e as Mp4FileError {
            throw e
        } catch {
            throw .io("read at \(offset): \(error)")
        }
    }
}
