/// Checks toml++ (inside TOMLKit) does not make itself. Its parser asserts, aborting the process (TOMLKit's C++ is
/// built without NDEBUG, in release too), when a table header's first key starts with anything but an ASCII
/// bare-key character or a quote (`[=x]`, `[ `, `[#`, `[\u{14}`, `[\u{FFFD}server]`) and when a date's `T` is not
/// followed by a time: the fuzzer found these. A config file, or a hot reload, must be refused with a line number
/// instead.
enum TomlPreflight {
    /// The 1-based line of the first table header (`[x]`, `[[x]]`) whose name does not start as toml++ requires;
    /// nil when there is none. Headers are found where toml++ looks for them: at the start of a statement, not
    /// inside a string, a comment or a multi-line array value.
    static func badTableHeaderLine(_ text: String) -> Int? {
        let b = Array(text.utf8)
        // toml++ skips a UTF-8 byte order mark before the first statement.
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, line = 1
        var depth = 0                       // open [ and { of the current value
        var atStatementStart = true
        func at(_ s: String) -> Bool { b[i...].starts(with: s.utf8) }
        func at(_ j: Int, _ s: String) -> Bool { j < b.count && b[j...].starts(with: s.utf8) }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\n"):
                line += 1
                if depth == 0 { atStatementStart = true }
                i += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
            case UInt8(ascii: "#"):
                while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let triple = at(c == UInt8(ascii: "\"") ? "\"\"\"" : "'''")
                i += triple ? 3 : 1
                while i < b.count {
                    if c == UInt8(ascii: "\""), b[i] == UInt8(ascii: "\\") { i += 2; continue }
                    if b[i] == UInt8(ascii: "\n") { if !triple { break }; line += 1 }
                    if b[i] == c, !triple || at(c == UInt8(ascii: "\"") ? "\"\"\"" : "'''") { i += triple ? 3 : 1; break }
                    i += 1
                }
                atStatementStart = false
            case UInt8(ascii: "[") where atStatementStart && depth == 0:
                i += at("[[") ? 2 : 1
                while i < b.count, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "\t") { i += 1 }
                guard i < b.count, isKeyStart(b[i]) else { return line }
                atStatementStart = false
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                atStatementStart = false
                i += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
                i += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // A date then T must go on with a time: toml++ asserts on `1979-05-27T-07` (found by the fuzzer).
                if isDigits(b, i, 4), at(i + 4, "-"), isDigits(b, i + 5, 2), at(i + 7, "-"), isDigits(b, i + 8, 2),
                   i + 10 < b.count, b[i + 10] == UInt8(ascii: "T") || b[i + 10] == UInt8(ascii: "t"), !isDigits(b, i + 11, 1) {
                    return line
                }
                atStatementStart = false
                i += 1
            default:
                atStatementStart = false
                i += 1
            }
        }
        return nil
    }

    private static func isDigits(_ b: [UInt8], _ start: Int, _ count: Int) -> Bool {
        start + count <= b.count && b[start..<(start + count)].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// What toml++ accepts as the first character of a key, and `]`, which it refuses cleanly itself.
    private static func isKeyStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "]")
    }
}
