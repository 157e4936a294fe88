/// An Action Message Format value, as RTMP commands and FLV metadata carry them.
public indirect enum AMFValue: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)
    case string(String)
    case object([AMFPair])
    case null
    case undefined
    case ecmaArray([AMFPair])
    case strictArray([AMFValue])
    case date(Double)

    public var number: Double? { if case .number(let n) = self { return n }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }

    /// Members of an object or ECMA array.
    public var pairs: [AMFPair]? {
        switch self {
        case .object(let p), .ecmaArray(let p): return p
        default: return nil
        }
    }

    public subscript(key: String) -> AMFValue? { pairs?.first { $0.key == key }?.value }

    public var description: String {
        switch self {
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return String(b)
        case .string(let s): return "\"\(s)\""
        case .object(let p), .ecmaArray(let p): return "{" + p.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .null: return "null"
        case .undefined: return "undefined"
        case .strictArray(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .date(let d): return "date(\(d))"
        }
    }
}

public struct AMFPair: Equatable, Sendable {
    public let key: String
    public let value: AMFValue
    public init(_ key: String, _ value: AMFValue) {
        self.key = key
        self.value = value
    }
}
