import MediaFormats

/// The payload of a parsed box as a bounds-checked field reader, with the version and flags of a full box split
/// off. Every read failure becomes an error naming the box, so tables never index past their box.
struct Mp4Fields {
    let type: String
    let version: UInt8
    let flags: UInt32
    private var reader: ByteReader

    /// A full box (ISO/IEC 14496-12 4.2): version and 24-bit flags first.
    init(fullBox node: Mp4BoxNode, in bytes: ArraySlice<UInt8>) throws(Mp4FileError) {
        type = node.type
        reader = ByteReader(bytes[node.header.payload])
        guard let v = reader.u8(), let f = reader.u24() else { throw .malformed("\(node.type) box too short for version and flags") }
        version = v
        flags = f
    }

    /// A plain box, or the bytes after a sample entry's fixed fields.
    init(box node: Mp4BoxNode, in bytes: ArraySlice<UInt8>) {
        type = node.type
        version = 0
        flags = 0
        reader = ByteReader(bytes[node.header.payload])
    }

    var remaining: Int { reader.remaining }

    mutating func u8() throws(Mp4FileError) -> UInt8 {
        guard let v = reader.u8() else { throw short() }
        return v
    }

    mutating func u16() throws(Mp4FileError) -> UInt16 {
        guard let v = reader.u16() else { throw short() }
        return v
    }

    mutating func u32() throws(Mp4FileError) -> UInt32 {
        guard let v = reader.u32() else { throw short() }
        return v
    }

    mutating func u64() throws(Mp4FileError) -> UInt64 {
        let hi = try u32(), lo = try u32()
        return UInt64(hi) << 32 | UInt64(lo)
    }

    /// 32 or 64 bits as the box version says (version 1 widens times and durations).
    mutating func uintV() throws(Mp4FileError) -> UInt64 {
        version == 1 ? try u64() : UInt64(try u32())
    }

    mutating func skip(_ n: Int) throws(Mp4FileError) {
        guard reader.take(n) != nil else { throw short() }
    }

    mutating func take(_ n: Int) throws(Mp4FileError) -> ArraySlice<UInt8> {
        guard let b = reader.take(n) else { throw short() }
        return b
    }

    /// An entry count, refused unless the box really holds that many entries of `entrySize` bytes: a count is
    /// never trusted to size an allocation on its own.
    mutating func count(entrySize: Int) throws(Mp4FileError) -> Int {
        let n = Int(try u32())
        guard n <= reader.remaining / entrySize else {
            throw .malformed("\(type) claims \(n) entries of \(entrySize) bytes but holds \(reader.remaining) bytes")
        }
        return n
    }

    private func short() -> Mp4FileError { .malformed("\(type) box ends before its fields do") }
}
