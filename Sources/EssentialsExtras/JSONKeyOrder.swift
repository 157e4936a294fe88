/// The order JSONSerialization's `sortedKeys` wrote keys in: a locale-aware comparison that is numeric and
/// case-insensitive (`a9` before `a10`, `ab` before `B`), punctuation and spaces before digits before letters,
/// then lower case before upper case or fewer leading zeros, whichever comes first. ASCII keys sort exactly as it did; other
/// letters sort after `z` by code point (Foundation collated them beside their base letter through ICU).
public enum JSONKeyOrder {
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if let primary = comparePrimary(x, y) { return primary }
        if let tertiary = compareTertiary(x, y) { return tertiary }
        return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    /// ICU's root order of the ASCII spaces, punctuation and symbols, all before digits.
    private static let punctuation = Array("\t\n\u{0B}\u{0C}\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$".unicodeScalars)

    private static func isDigit(_ s: Unicode.Scalar) -> Bool { s >= "0" && s <= "9" }

    /// The end of the run of digits that starts at `i`.
    private static func digitsEnd(_ x: [Unicode.Scalar], from i: Int) -> Int {
        var e = i
        while e < x.count, isDigit(x[e]) { e += 1 }
        return e
    }

    /// (group, weight) of one non-digit scalar: punctuation 0, letters and the rest 2; digits are group 1.
    private static func weight(_ s: Unicode.Scalar) -> (Int, UInt32) {
        if let i = punctuation.firstIndex(of: s) { return (0, UInt32(i)) }
        if s.value < 0x20 || s.value == 0x7F { return (0, 0) }
        let lower = s.properties.lowercaseMapping.unicodeScalars.first ?? s
        return (2, lower.value)
    }

    /// The first primary difference, digits compared as numbers; nil when there is none.
    private static func comparePrimary(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar]) -> Bool? {
        var i = 0, j = 0
        while i < x.count, j < y.count {
            if isDigit(x[i]), isDigit(y[j]) {
                let ei = digitsEnd(x, from: i), ej = digitsEnd(y, from: j)
                let dx = x[i..<ei].drop { $0 == "0" }, dy = y[j..<ej].drop { $0 == "0" }
                if dx.count != dy.count { return dx.count < dy.count }
                if let k = zip(dx, dy).first(where: { $0 != $1 }) { return k.0 < k.1 }
                i = ei
                j = ej
                continue
            }
            let wx = isDigit(x[i]) ? (1, 0) : weight(x[i]), wy = isDigit(y[j]) ? (1, 0) : weight(y[j])
            if wx != wy { return wx < wy }
            i += 1
            j += 1
        }
        if i < x.count || j < y.count { return i >= x.count }
        return nil
    }

    /// Between primary-equal keys, at the first place they differ: a letter in lower case before the same letter
    /// in upper case, a number with fewer leading zeros before the same number with more (`a1`, `a01`, `A1`, and
    /// `9Bz` before `09bZ`).
    private static func compareTertiary(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar]) -> Bool? {
        var i = 0, j = 0
        while i < x.count, j < y.count {
            if isDigit(x[i]), isDigit(y[j]) {
                let ei = digitsEnd(x, from: i), ej = digitsEnd(y, from: j)
                if ei - i != ej - j { return ei - i < ej - j }
                i = ei
                j = ej
                continue
            }
            if x[i] != y[j] {
                let pl = x[i].properties.isLowercase, ql = y[j].properties.isLowercase
                if pl != ql { return pl }
            }
            i += 1
            j += 1
        }
        return nil
    }
}
