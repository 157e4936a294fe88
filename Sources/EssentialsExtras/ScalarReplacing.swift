/// Foundation's `replacingOccurrences(of:with:)` for single-scalar targets. Matched by scalar, not by Character:
/// a quote followed by a combining mark is one Character, and the standard library's `replacing` would miss it.
extension StringProtocol {
    public func replacingScalars(_ replacements: [Unicode.Scalar: String]) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for s in unicodeScalars {
            if let r = replacements[s] { out += r } else { out.unicodeScalars.append(s) }
        }
        return out
    }
}
