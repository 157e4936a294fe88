import MediaFormats

/// Box building (ISO/IEC 14496-12 4.2). A box's size comes before its payload, so boxes are assembled
/// bottom-up from finished payloads. Init segments and moofs are a few hundred bytes, so the copies this
/// costs are noise; the one large payload, the mdat, is appended exactly once by the fragment writer.
enum Mp4Box {
    static func box(_ type: String, _ parts: [UInt8]...) -> [UInt8] { box(type, parts: parts) }

    static func box(_ type: String, parts: [[UInt8]]) -> [UInt8] {
        let size = 8 + parts.reduce(0) { $0 + $1.count }
        var w = ByteWriter(capacity: size)
        w.u32(UInt32(truncatingIfNeeded: size))   // our boxes are small; the mdat checks its own size
        w.fourCC(type)
        for p in parts { w.append(p) }
        return w.bytes
    }

    static func fullBox(_ type: String, version: UInt8, flags: UInt32, _ parts: [UInt8]...) -> [UInt8] {
        let header: [UInt8] = [version, UInt8((flags >> 16) & 0xFF), UInt8((flags >> 8) & 0xFF), UInt8(flags & 0xFF)]
        return box(type, parts: [header] + parts)
    }

    /// The identity transform every tkhd and mvhd carries (16.16 and 2.30 fixed point).
    static let unityMatrix: [UInt8] = {
        var w = ByteWriter(capacity: 36)
        for v: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { w.u32(v) }
        return w.bytes
    }()
}

// Names chosen so they cannot collide with readers MediaFormats may grow later.
extension ByteWriter {
    mutating func uint64(_ v: UInt64) {
        u32(UInt32(truncatingIfNeeded: v >> 32))
        u32(UInt32(truncatingIfNeeded: v))
    }

    /// Four-character codes are ASCII; a shorter name is padded with spaces as 'url ' is.
    mutating func fourCC(_ code: String) {
        let b = Array(code.utf8.prefix(4))
        append(b)
        for _ in b.count..<4 { u8(0x20) }
    }

    mutating func zeros(_ n: Int) {
        for _ in 0..<max(0, n) { u8(0) }
    }
}
