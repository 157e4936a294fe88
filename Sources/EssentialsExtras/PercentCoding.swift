/// Foundation's percent coding of URL parts.
extension StringProtocol {
    /// `%XX` sequences decoded; nil when one is malformed or the bytes are not UTF-8 (as `removingPercentEncoding`).
    public var percentDecoded: String? {
        var out: [UInt8] = []
        var it = utf8.makeIterator()
        while let b = it.next() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard let h = it.next().flatMap(Self.hexValue), let l = it.next().flatMap(Self.hexValue) else { return nil }
            out.append(h << 4 | l)
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Every byte outside `allowed` (ASCII characters) as `%XX` in upper case (as `addingPercentEncoding`).
    public func percentEncoded(allowing allowed: PercentAllowed) -> String {
        var out = ""
        for b in utf8 {
            if b < 0x80, allowed.bytes.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// The ASCII characters a URL part keeps unescaped (Foundation's CharacterSet.url…Allowed).
public struct PercentAllowed: Sendable {
    let bytes: Set<UInt8>

    public init(_ characters: String) { bytes = Set(characters.utf8.filter { $0 < 0x80 }) }

    private static let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

    /// CharacterSet.urlPathAllowed.
    public static let urlPath = PercentAllowed(unreserved + "!$&'()*+,=:@/")
    /// RFC 3986's unreserved characters only: safe inside a query value.
    public static let urlQueryValue = PercentAllowed(unreserved)
}
