#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras

/// Changes single values of a TOML config file in place, line by line, so the operator's comments, order and
/// layout survive `setServerConfig` (a TOML writer would rewrite the whole file).
enum ConfigFileEditor {
    enum EditError: Error, CustomStringConvertible {
        case badName(String)
        case badValue(String)
        var description: String {
            switch self {
            case .badName(let n): return "\(n): expected section.key (letters, digits, _ and -)"
            case .badValue(let n): return "\(n): a value may not hold control characters (line breaks would add keys)"
            }
        }
    }

    /// `name` is `section.key`; `value` is the text the API got, typed like the value it replaces (or, for a
    /// new key, as a boolean, integer or float when it reads as one, else a string).
    /// `type` (the key's declared type, when known): a "string" key's value is quoted whatever it reads as.
    static func set(_ text: String, name: String, value: String, type: String? = nil) throws(EditError) -> String {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts.allSatisfy(valid) else { throw .badName(name) }
        // One value stays one line: the edit can never add a key or a table.
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { throw .badValue(name) }
        let (table, key) = (parts[0], parts[1])
        var lines = text.components(separatedBy: "\n")
        var inTable = false
        var tableEnd: Int?
        var headerFound = false
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingSpaces()
            if line.hasPrefix("[") {
                if inTable { tableEnd = i; break }
                inTable = line == "[\(table)]" || line.hasPrefix("[\(table)]") && line.dropFirst(table.count + 2).trimmingSpaces().hasPrefix("#")
                if inTable { headerFound = true }
                continue
            }
            guard inTable, line.hasPrefix(key) else { continue }
            let rest = line.dropFirst(key.count).trimmingSpaces()
            guard rest.hasPrefix("=") else { continue }
            let old = rest.dropFirst().trimmingSpaces()
            lines[i] = "\(key) = \(literal(value, like: old, type: type))"
            return lines.joined(separator: "\n")
        }
        let newLine = "\(key) = \(literal(value, like: nil, type: type))"
        if headerFound {
            var at = tableEnd ?? lines.count
            while at > 0, lines[at - 1].trimmingSpaces().isEmpty { at -= 1 }
            lines.insert(newLine, at: at)
            return lines.joined(separator: "\n")
        }
        var out = text
        if !out.hasSuffix("\n") { out += "\n" }
        return out + "\n[\(table)]\n\(newLine)\n"
    }

    private static func valid(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isAlphanumeric || $0 == "_" || $0 == "-" }
    }

    private static func escape(_ s: String) -> String {
        s.replacingScalars(["\\": "\\\\", "\"": "\\\""])
    }

    /// The TOML literal for `value`, of the type of the value it replaces.
    static func literal(_ value: String, like old: String?, type: String? = nil) -> String {
        let oldValue = old.map { o -> String in
            // Drop a trailing comment outside a string.
            if o.hasPrefix("\"") { return o }
            return o.split(separator: "#", maxSplits: 1).first.map { $0.trimmingSpaces() } ?? o
        }
        let v = value.trimmingSpaces()
        func quoted() -> String { "\"" + escape(v) + "\"" }
        if type == "string" { return quoted() }
        if let o = oldValue {
            if o.hasPrefix("\"") || o.hasPrefix("'") { return quoted() }
            if o.hasPrefix("[") {
                // A comma list of strings, each escaped (a TOML array given as text is taken as such a list too).
                let inner = v.hasPrefix("[") && v.hasSuffix("]") ? String(v.dropFirst().dropLast()) : v
                let items = inner.split(separator: ",").map { $0.trimming(in: " \"'") }
                    .filter { !$0.isEmpty }
                return "[" + items.map { "\"" + escape($0) + "\"" }.joined(separator: ", ") + "]"
            }
        }
        if v == "true" || v == "false" { return v }
        if v == "1" || v == "0", let o = oldValue, o == "true" || o == "false" { return v == "1" ? "true" : "false" }
        if Int64(v) != nil { return v }
        if Double(v) != nil, v.contains(".") { return v }
        return quoted()
    }
}
