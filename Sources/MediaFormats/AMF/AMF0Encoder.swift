/// AMF0 encoding (AMF0 specification, 2.2-2.13).
public enum AMF0Encoder {
    public static func encode(_ values: [AMFValue]) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        for v in values { encode(v, into: &w) }
        return w.bytes
    }

    public static func encode(_ value: AMFValue, into w: inout ByteWriter) {
        switch value {
        case .number(let n):
            w.u8(0x00); w.f64(n)
        case .bool(let b):
            w.u8(0x01); w.u8(b ? 1 : 0)
        case .string(let s):
            let utf8 = Array(s.utf8)
            if utf8.count > 0xFFFF {
                w.u8(0x0C); w.u32(UInt32(utf8.count))
            } else {
                w.u8(0x02); w.u16(UInt16(utf8.count))
            }
            w.append(utf8)
        case .object(let pairs):
            w.u8(0x03); members(pairs, into: &w)
        case .null:
            w.u8(0x05)
        case .undefined:
            w.u8(0x06)
        case .ecmaArray(let pairs):
            w.u8(0x08); w.u32(UInt32(pairs.count)); members(pairs, into: &w)
        case .strictArray(let items):
            w.u8(0x0A); w.u32(UInt32(items.count))
            for i in items { encode(i, into: &w) }
        case .date(let d):
            w.u8(0x0B); w.f64(d); w.u16(0)
        }
    }

    private static func members(_ pairs: [AMFPair], into w: inout ByteWriter) {
        for p in pairs {
            let key = Array(p.key.utf8.prefix(0xFFFF))
            w.u16(UInt16(key.count)); w.append(key)
            encode(p.value, into: &w)
        }
        w.u16(0); w.u8(0x09)
    }
}
