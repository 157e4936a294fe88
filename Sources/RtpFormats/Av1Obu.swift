/// AV1 open bitstream units as the AV1 RTP payload format (AOM, "RTP Payload Format for AV1" 4-5) and the bus
/// see them: the bus carries a temporal unit in the low-overhead format (every OBU with `obu_size`, as Enhanced
/// RTMP and MP4 do), RTP carries OBU elements whose size the aggregation header or a LEB128 prefix gives.
enum Av1Obu {
    static let sequenceHeader: UInt8 = 1
    static let temporalDelimiter: UInt8 = 2
    static let tileList: UInt8 = 8
    static let padding: UInt8 = 15

    /// obu_type, bits 1-4 of the header byte.
    static func type(_ header: UInt8) -> UInt8 { (header >> 3) & 0x0F }
    static let extensionFlag: UInt8 = 0x04
    static let hasSizeField: UInt8 = 0x02

    /// An unsigned LEB128 value at `i` (AV1 spec 4.10.5: at most 8 bytes, the value within 32 bits); nil when the
    /// bytes end inside it or it is longer.
    static func leb128(_ p: ArraySlice<UInt8>, at i: inout Int) -> Int? {
        var value = 0
        for n in 0..<8 {
            guard i < p.endIndex else { return nil }
            let b = p[i]
            i += 1
            value |= Int(b & 0x7F) << (7 * n)
            if b & 0x80 == 0 { return value <= Int(UInt32.max) ? value : nil }
        }
        return nil
    }

    static func appendLeb128(_ value: Int, to out: inout [UInt8]) {
        var v = value
        repeat {
            let low = UInt8(v & 0x7F)
            v >>= 7
            out.append(v > 0 ? low | 0x80 : low)
        } while v > 0
    }

    static func leb128Size(_ value: Int) -> Int {
        var n = 1, v = value >> 7
        while v > 0 { n += 1; v >>= 7 }
        return n
    }

    /// One OBU split into its header (1 or 2 bytes, `obu_has_size_field` as found) and its payload.
    struct Unit: Equatable {
        var header: ArraySlice<UInt8>
        var payload: ArraySlice<UInt8>
        var type: UInt8 { Av1Obu.type(header[header.startIndex]) }
    }

    /// Reads one OBU at `i`; one without `obu_size` runs to `end` (AV1 spec 5.3.1). Nil when the header or the
    /// size runs past the bytes, or the forbidden bit is set.
    static func unit(_ p: ArraySlice<UInt8>, at i: inout Int) -> Unit? {
        guard i < p.endIndex, p[i] & 0x80 == 0 else { return nil }
        let headerSize = p[i] & extensionFlag != 0 ? 2 : 1
        guard p.endIndex - i >= headerSize else { return nil }
        let header = p[i..<(i + headerSize)]
        var at = i + headerSize
        var end = p.endIndex
        if p[i] & hasSizeField != 0 {
            guard let size = leb128(p, at: &at), size <= p.endIndex - at else { return nil }
            end = at + size
        }
        i = end
        return Unit(header: header, payload: p[at..<end])
    }

    /// The OBUs of a temporal unit; nil if any is malformed.
    static func units(_ p: ArraySlice<UInt8>) -> [Unit]? {
        var out: [Unit] = []
        var i = p.startIndex
        while i < p.endIndex {
            guard let u = unit(p, at: &i) else { return nil }
            out.append(u)
        }
        return out
    }

    /// Whether RTP leaves the OBU out (payload format 5: temporal delimiters and tile lists; padding is useless).
    static func dropped(_ type: UInt8) -> Bool { type == temporalDelimiter || type == tileList || type == padding }

    /// `unit` in the low-overhead format: its header with `obu_has_size_field` set, `obu_size`, the payload.
    static func appendSized(_ u: Unit, to out: inout [UInt8]) {
        out.append(u.header[u.header.startIndex] | hasSizeField)
        out.append(contentsOf: u.header.dropFirst())
        appendLeb128(u.payload.count, to: &out)
        out.append(contentsOf: u.payload)
    }
}
