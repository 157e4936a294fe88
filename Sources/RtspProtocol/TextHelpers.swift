// Small ASCII text helpers shared by the header parsers.

extension String {
    /// ASCII-only case folding: header names and methods are ASCII tokens, and this avoids Foundation's locale rules.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        var a = utf8.makeIterator(), b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case (let x?, let y?): if asciiLower(x) != asciiLower(y) { return false }
            default: return false
            }
        }
    }

    func asciiUppercased() -> String {
        String(decoding: utf8.map { (97...122).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }

    func asciiLowercased() -> String {
        String(decoding: utf8.map(asciiLower), as: UTF8.self)
    }

    func trimmingSpaces() -> Substring { self[...].trimmingSpaces() }
}

extension Substring {
    /// Works on UTF-8 code units because "\r\n" is a single Character and would survive a Character-based trim.
    func trimmingSpaces() -> Substring {
        let u = utf8
        var start = u.startIndex, end = u.endIndex
        while start < end, isLinearSpace(u[start]) { start = u.index(after: start) }
        while end > start, isLinearSpace(u[u.index(before: end)]) { end = u.index(before: end) }
        return self[start..<end]
    }
}

@inline(__always) func isLinearSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }
@inline(__always) func asciiLower(_ c: UInt8) -> UInt8 { (65...90).contains(c) ? c + 32 : c }

func unquote(_ s: Substring) -> Substring {
    if s.utf8.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { return s.dropFirst().dropLast() }
    return s
}

/// Digits only, at most `max`; rejects signs and spaces that `Int.init` would let through or choke on.
func parseBoundedInt(_ s: Substring, max: Int) -> Int? {
    guard !s.isEmpty, s.utf8.count <= 10, s.utf8.allSatisfy({ (48...57).contains($0) }), let n = Int(s), n <= max else { return nil }
    return n
}

/// Splits on an ASCII separator except inside double quotes.
func splitOutsideQuotes(_ s: Substring, on separator: UInt8) -> [Substring] {
    var out: [Substring] = []
    var inQuotes = false
    var start = s.utf8.startIndex
    var i = start
    while i < s.utf8.endIndex {
        let c = s.utf8[i]
        if c == 34 { inQuotes.toggle() } else if c == separator, !inQuotes {
            out.append(s[start..<i])
            start = s.utf8.index(after: i)
        }
        i = s.utf8.index(after: i)
    }
    out.append(s[start...])
    return out
}

/// RFC 3986 percent-decoding; nil on a broken escape or a result that is not UTF-8.
func percentDecode(_ s: Substring) -> String? {
    var out: [UInt8] = []
    let u = Array(s.utf8)
    var i = 0
    while i < u.count {
        if u[i] == 37 {
            guard i + 2 < u.count, let b = hexBytes(String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self)[...]) else { return nil }
            out.append(b[0])
            i += 3
        } else {
            out.append(u[i])
            i += 1
        }
    }
    return String(validating: out, as: UTF8.self)
}
