/// Standard base64 (RFC 4648 4). Decoding tolerates missing padding because cameras often drop it from
/// sprop-parameter-sets, and rejects anything else unusual.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ s: Substring) -> [UInt8]? {
        var u = Array(s.utf8)
        while u.last == 61 { u.removeLast() }
        guard u.count % 4 != 1, u.count <= 1 << 20 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in u {
            guard let v = value(c) else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 65...90: return c - 65
        case 97...122: return c - 71
        case 48...57: return c + 4
        case 43, 45: return 62   // '+' and the URL-safe '-'
        case 47, 95: return 63   // '/' and the URL-safe '_'
        default: return nil
        }
    }
}
