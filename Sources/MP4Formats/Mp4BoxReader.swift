/// Where one box lies in a buffer (ISO/IEC 14496-12 4.2). Positions are indices into the slice the reader was
/// given, so they can be used on it directly.
public struct Mp4BoxHeader: Equatable, Sendable {
    /// The four-character code, each byte taken as Latin-1 ('©nam' stays readable).
    public let type: String
    public let start: Int
    /// 8, 16 with a 64-bit size, plus 16 for a 'uuid' box's user type.
    public let headerSize: Int
    public let size: Int

    public var end: Int { start + size }
    public var payload: Range<Int> { (start + headerSize)..<end }
}

public enum Mp4BoxError: Error, Equatable, Sendable {
    /// The box at this index runs past the end of the buffer or of the box holding it.
    case truncated(at: Int)
    /// The box at this index declares a size smaller than its own header, or beyond what Int can index.
    case badSize(at: Int)
    /// Containers nest deeper than the reader allows (only garbage does that).
    case tooDeep(at: Int)
}

/// Walks the boxes of a buffer one level at a time, never reading outside it: a declared size is trusted only
/// once the bytes it claims are there, so an absurd size costs nothing but an error.
public struct Mp4BoxReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    /// The next box at this level, nil at the end. After an error the reader stays where it was.
    public mutating func next() throws(Mp4BoxError) -> Mp4BoxHeader? {
        let start = offset
        let available = bytes.endIndex - start
        guard let h = try Self.header(bytes, at: start, available: available) else { return nil }
        guard h.size <= available else { throw .truncated(at: start) }
        offset = h.end
        return h
    }

    /// The header of the box at `start` when only its first bytes are at hand: `bytes` must hold the header
    /// (at most 32 bytes from `start`), `available` is how many bytes the enclosing level really has from `start`
    /// on. The size returned may exceed `available`; the caller decides what a box running past its end means
    /// (an error in a buffer, the cut-off tail of a file being recorded). Nil when nothing is available.
    public static func header(_ bytes: ArraySlice<UInt8>, at start: Int, available: Int) throws(Mp4BoxError) -> Mp4BoxHeader? {
        guard available > 0 else { return nil }
        let present = min(available, bytes.endIndex - start)
        guard present >= 8 else { throw .truncated(at: start) }
        func be(_ at: Int, _ count: Int) -> UInt64 {
            bytes[at..<(at + count)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        var size = Int(be(start, 4))
        var headerSize = 8
        let toEnd = size == 0
        if size == 1 {
            guard present >= 16 else { throw .truncated(at: start) }
            let large = be(start + 8, 8)
            guard large <= UInt64(Int.max) else { throw .badSize(at: start) }
            size = Int(large)
            headerSize = 16
        } else if toEnd {
            size = available                                 // "extends to the end of the file"
        }
        let type = String(bytes[(start + 4)..<(start + 8)].map { Character(Unicode.Scalar($0)) })
        if type == "uuid" { headerSize += 16 }
        guard size >= headerSize else { throw toEnd ? .truncated(at: start) : .badSize(at: start) }
        return Mp4BoxHeader(type: type, start: start, headerSize: headerSize, size: size)
    }

    /// Every box from the current position to the end of this level; the reader itself does not move.
    public func all() throws(Mp4BoxError) -> [Mp4BoxHeader] {
        var copy = self
        var out: [Mp4BoxHeader] = []
        while let h = try copy.next() { out.append(h) }
        return out
    }
}

/// A box with the boxes inside it, for the containers the reader knows.
public struct Mp4BoxNode: Equatable, Sendable {
    public let header: Mp4BoxHeader
    public let children: [Mp4BoxNode]

    public var type: String { header.type }

    /// The first box down a slash-separated path of types below this one, e.g. "trak/mdia/hdlr".
    public func first(_ path: String) -> Mp4BoxNode? {
        var node = self
        for type in path.split(separator: "/") {
            guard let child = node.children.first(where: { $0.type == type }) else { return nil }
            node = child
        }
        return node
    }

    /// The direct children of one type.
    public func children(_ type: String) -> [Mp4BoxNode] { children.filter { $0.type == type } }

    /// Type names, one line per box, indented two spaces per level: a readable picture of the layout.
    public var outline: String { lines(depth: 0).joined(separator: "\n") }

    private func lines(depth: Int) -> [String] {
        [String(repeating: "  ", count: depth) + type] + children.flatMap { $0.lines(depth: depth + 1) }
    }
}

extension Mp4BoxReader {
    /// Boxes whose payload is other boxes, and where those start: pure containers at once, full boxes with an
    /// entry count after 8 bytes, sample entries after their fixed fields (ISO/IEC 14496-12 12.1.3, 12.2.3).
    static let childOffsets: [String: Int] = {
        var m: [String: Int] = [:]
        for t in ["moov", "trak", "mdia", "minf", "stbl", "dinf", "mvex", "moof", "traf", "edts", "mfra", "sinf", "schi"] { m[t] = 0 }
        for t in ["stsd", "dref"] { m[t] = 8 }
        for t in ["avc1", "avc3", "hvc1", "hev1", "av01", "vp09", "encv"] { m[t] = 78 }
        for t in ["mp4a", "Opus", "alaw", "ulaw", "enca", "fLaC", "ac-3", "ec-3"] { m[t] = 28 }
        return m
    }()

    static let audioEntries: Set<String> = ["mp4a", "Opus", "alaw", "ulaw", "enca", "fLaC", "ac-3", "ec-3"]

    /// The whole box tree of a buffer. Containers are entered at most `maxDepth` levels deep.
    public static func tree(_ bytes: ArraySlice<UInt8>, maxDepth: Int = 16) throws(Mp4BoxError) -> [Mp4BoxNode] {
        var reader = Mp4BoxReader(bytes)
        var out: [Mp4BoxNode] = []
        while let h = try reader.next() {
            out.append(try node(h, in: bytes, depth: 0, maxDepth: maxDepth))
        }
        return out
    }

    public static func tree(_ bytes: [UInt8], maxDepth: Int = 16) throws(Mp4BoxError) -> [Mp4BoxNode] {
        try tree(bytes[...], maxDepth: maxDepth)
    }

    private static func node(_ h: Mp4BoxHeader, in bytes: ArraySlice<UInt8>, depth: Int, maxDepth: Int) throws(Mp4BoxError) -> Mp4BoxNode {
        guard var skip = childOffsets[h.type] else { return Mp4BoxNode(header: h, children: []) }
        guard depth < maxDepth else { throw .tooDeep(at: h.start) }
        let payload = h.payload
        // QuickTime sound descriptions version 1 and 2 add 16 and 36 bytes of fields before their children.
        if audioEntries.contains(h.type), payload.count >= 10 {
            let version = Int(bytes[payload.lowerBound + 8]) << 8 | Int(bytes[payload.lowerBound + 9])
            skip += version == 1 ? 16 : version == 2 ? 36 : 0
        }
        guard payload.count >= skip else { throw .truncated(at: h.start) }
        var reader = Mp4BoxReader(bytes[(payload.lowerBound + skip)..<payload.upperBound])
        var children: [Mp4BoxNode] = []
        while let child = try reader.next() {
            children.append(try node(child, in: bytes, depth: depth + 1, maxDepth: maxDepth))
        }
        return Mp4BoxNode(header: h, children: children)
    }
}
