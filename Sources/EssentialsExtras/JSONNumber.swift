/// Readings of a parsed number the way Foundation's NSNumber gave them: any integer type, a double (truncated
/// toward zero) or a boolean (0 or 1). Nil when the value is not a number.
public enum JSONNumber {
    public static func int64(_ v: Any?) -> Int64? {
        switch v {
        case let b as Bool: return b ? 1 : 0
        case let n as Int: return Int64(n)
        case let n as Int64: return n
        case let n as Int32: return Int64(n)
        case let n as Int16: return Int64(n)
        case let n as Int8: return Int64(n)
        case let n as UInt: return Int64(truncatingIfNeeded: n)
        case let n as UInt64: return Int64(truncatingIfNeeded: n)
        case let n as UInt32: return Int64(n)
        case let n as UInt16: return Int64(n)
        case let n as UInt8: return Int64(n)
        // Out of range reads as Int64.min, as the C conversion behind NSNumber did on x86.
        case let n as Double: return Int64(exactly: n.rounded(.towardZero)) ?? .min
        case let n as Float: return int64(Double(n))
        default: return nil
        }
    }

    public static func int(_ v: Any?) -> Int? { int64(v).map { Int(truncatingIfNeeded: $0) } }

    /// NSNumber's boolValue: non-zero is true.
    public static func bool(_ v: Any?) -> Bool? {
        switch v {
        case let n as Double: return n != 0
        case let n as Float: return n != 0
        default: return int64(v).map { $0 != 0 }
        }
    }

    /// NSNumber's stringValue: a boolean as 1 or 0, a double as Swift prints it.
    public static func string(_ v: Any?) -> String? {
        switch v {
        case let b as Bool: return b ? "1" : "0"
        case let n as Double: return n.description
        case let n as Float: return n.description
        case let n as UInt64: return String(n)
        case let n as UInt: return String(n)
        default: return int64(v).map { String($0) }
        }
    }

    /// True for the values these readings accept.
    public static func isNumber(_ v: Any) -> Bool { string(v) != nil }
}
