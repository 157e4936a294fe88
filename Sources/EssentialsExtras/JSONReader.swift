/// JSONSerialization's reader over UTF-8 bytes: integers that fit become `Int` (or `UInt64`), other numbers
/// `Double`; `true`/`false` become `Bool`, `null` becomes `JSONNull`; a later duplicate key wins; a trailing
/// comma before `]` or `}` is accepted, as JSONSerialization accepted it.
struct JSONReader {
    /// Nesting beyond this is refused: the reader recurses, and input comes from the network.
    static let maxDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The top-level array or object, nil when the whole text is not exactly one.
    mutating func document() -> Any? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { at = 3 }
        skipSpace()
        guard let first = peek(), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
        guard let value = value(depth: 0) else { return nil }
        skipSpace()
        return at == bytes.count ? value : nil
    }

    private func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { at += 1 }
    }

    private mutating func take(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard bytes.count - at >= n else { return false }
        for i in 0..<n where bytes[at + i] != literal.utf8Start[i] { return false }
        at += n
        return true
    }

    private mutating func value(depth: Int) -> Any? {
        guard depth < Self.maxDepth else { return nil }
        skipSpace()
        guard let b = peek() else { return nil }
        switch b {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return take("true") ? true : nil
        case UInt8(ascii: "f"): return take("false") ? false : nil
        case UInt8(ascii: "n"): return take("null") ? JSONNull() : nil
        default: return number()
        }
    }

    private mutating func object(depth: Int) -> [String: Any]? {
        at += 1
        var out: [String: Any] = [:]
        skipSpace()
        if peek() == UInt8(ascii: "}") { at += 1; return out }
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}"), !out.isEmpty { at += 1; return out }
            guard peek() == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { return nil }
            at += 1
            guard let v = value(depth: depth + 1) else { return nil }
            out[key] = v
            skipSpace()
            switch peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "}"): at += 1; return out
            default: return nil
            }
        }
    }

    private mutating func array(depth: Int) -> [Any]? {
        at += 1
        var out: [Any] = []
        skipSpace()
        if peek() == UInt8(ascii: "]") { at += 1; return out }
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "]"), !out.isEmpty { at += 1; return out }
            guard let v = value(depth: depth + 1) else { return nil }
            out.append(v)
            skipSpace()
            switch peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "]"): at += 1; return out
            default: return nil
            }
        }
    }

    private mutating func string() -> String? {
        at += 1
        var utf8: [UInt8] = []
        while let b = peek() {
            at += 1
            switch b {
            case UInt8(ascii: "\""): return String(validating: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek() else { return nil }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = escapedScalar() else { return nil }
                    utf8.append(contentsOf: String(scalar).utf8)
                default: return nil
                }
            case 0..<0x20: return nil
            default: utf8.append(b)
            }
        }
        return nil
    }

    /// The scalar of `\uXXXX` (the `\u` read), joining a surrogate pair; nil for a lone surrogate.
    private mutating func escapedScalar() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        switch high {
        case 0xD800..<0xDC00:
            guard take("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00..<0xE000: return nil
        default: return Unicode.Scalar(high)
        }
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - at >= 4 else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexDigit(bytes[at]) else { return nil }
            v = v << 4 | d
            at += 1
        }
        return v
    }

    private func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// RFC 8259's number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() -> Any? {
        let start = at
        if peek() == UInt8(ascii: "-") { at += 1 }
        guard let lead = peek(), isDigit(lead) else { return nil }
        at += 1
        if lead != UInt8(ascii: "0") { skipDigits() }
        var integral = true
        if peek() == UInt8(ascii: ".") {
            at += 1
            guard digitsFollow() else { return nil }
            integral = false
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            at += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { at += 1 }
            guard digitsFollow() else { return nil }
            integral = false
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        if integral {
            if let i = Int(text) { return i }
            if let u = UInt64(text) { return u }
        }
        return Double(text)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let b = peek(), isDigit(b) { at += 1 }
    }

    private mutating func digitsFollow() -> Bool {
        guard let b = peek(), isDigit(b) else { return false }
        skipDigits()
        return true
    }
}
