/// An attribute list (RFC 8216 4.2): `NAME=value` pairs separated by commas, values possibly quoted (and
/// then possibly holding commas).
enum M3u8Attributes {
    /// At most this many pairs: tags carry a dozen; more is not a playlist.
    static let maxPairs = 64

    /// Nil on a malformed list (unterminated quote, missing `=`, too many pairs). Quotes are removed.
    static func parse(_ text: Substring) -> [String: String]? {
        var out: [String: String] = [:]
        var i = text.startIndex
        while i < text.endIndex {
            guard let eq = text[i...].firstIndex(of: "=") else { return nil }
            let name = text[i..<eq].trimmingSpaces
            guard !name.isEmpty else { return nil }
            var j = text.index(after: eq)
            let value: Substring
            if j < text.endIndex, text[j] == "\"" {
                let start = text.index(after: j)
                guard let close = text[start...].firstIndex(of: "\"") else { return nil }
                value = text[start..<close]
                j = text.index(after: close)
                while j < text.endIndex, text[j] != "," { j = text.index(after: j) }   // junk after a quoted value is ignored
            } else {
                let end = text[j...].firstIndex(of: ",") ?? text.endIndex
                value = text[j..<end]
                j = end
            }
            out[name] = String(value)
            guard out.count <= maxPairs else { return nil }
            i = j < text.endIndex ? text.index(after: j) : j
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }), let last = lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(self[first...last])
    }
}
