/// Finds the line of a table header or of a key inside a table, so errors can name it. TOMLKit does not
/// keep source positions of values, and a plain scan of the text is enough for the flat tables we use.
struct ConfigLocator {
    private let lines: [Substring]

    init(text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    func line(table: String?, key: String?) -> Int? {
        var inTable = table == nil
        var tableLine: Int?
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmed(" \t\r")
            if line.hasPrefix("[") {
                let name = line.drop { $0 == "[" }.prefix { $0 != "]" }.trimmed(" \t")
                if let table, name == table || name.hasPrefix(table + ".") {
                    inTable = true
                    if tableLine == nil { tableLine = i + 1 }
                    if key == nil { return i + 1 }
                } else {
                    inTable = false
                }
                continue
            }
            guard inTable, let key else { continue }
            let leaf = key.split(separator: ".").last.map(String.init) ?? key
            if line.hasPrefix(leaf) {
                let rest = line.dropFirst(leaf.count).trimmed(" \t\"")
                if rest.hasPrefix("=") { return i + 1 }
            }
        }
        return tableLine
    }
}

extension Substring {
    func trimmed(_ set: String) -> String {
        let chars = Set(set)
        var s = self[...]
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmed(_ set: String) -> String { self[...].trimmed(set) }
}
