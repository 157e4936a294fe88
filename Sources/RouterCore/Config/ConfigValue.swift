/// A config value detached from the TOML library, so documents can be compared, diffed and shared
/// across threads.
public indirect enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case list([ConfigValue])
    case table([String: ConfigValue])

    public var typeName: String {
        switch self {
        case .string: return "string"
        case .int: return "integer"
        case .bool: return "boolean"
        case .double: return "float"
        case .list: return "array"
        case .table: return "table"
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        case .double(let d): return String(d)
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .table(let t): return "{" + t.keys.sorted().map { "\($0) = \(t[$0]!)" }.joined(separator: ", ") + "}"
        }
    }

    /// The value as text, for list items and string reads of scalars.
    public var text: String {
        switch self {
        case .string(let s): return s
        default: return description
        }
    }

    /// Looks up a dotted key ("tls.cert") in a table.
    public static func lookup(_ key: String, in table: [String: ConfigValue]) -> ConfigValue? {
        var current: ConfigValue = .table(table)
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .table(let t) = current, let next = t[String(part)] else { return nil }
            current = next
        }
        return current
    }
}
