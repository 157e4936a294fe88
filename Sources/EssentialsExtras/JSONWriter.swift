/// JSONSerialization's writer: `/` escaped as `\/`, control characters as `\u00xx` in lower case, a double
/// without its trailing `.0`, pretty output indented by two with `" : "` between key and value.
struct JSONWriter {
    let sortedKeys: Bool
    let pretty: Bool
    private(set) var out = ""
    private var indent = 0

    init(sortedKeys: Bool, pretty: Bool) {
        self.sortedKeys = sortedKeys
        self.pretty = pretty
    }

    /// Appends `value`; false when it is not JSON.
    mutating func write(_ value: Any) -> Bool {
        switch value {
        case let s as String: writeString(s)
        case let b as Bool: out += b ? "true" : "false"
        case let n as Int: out += String(n)
        case let n as Int8: out += String(n)
        case let n as Int16: out += String(n)
        case let n as Int32: out += String(n)
        case let n as Int64: out += String(n)
        case let n as UInt: out += String(n)
        case let n as UInt8: out += String(n)
        case let n as UInt16: out += String(n)
        case let n as UInt32: out += String(n)
        case let n as UInt64: out += String(n)
        case let a as [Any]: return writeArray(a)
        case let d as [String: Any]: return writeObject(d)
        case let n as Float: return writeFloat(n)
        case let n as Double: return writeFloat(n)
        case is JSONNull: out += "null"
        case let o as AnyOptional:
            // An optional inside Any: nil is null, a value is itself.
            guard let inner = o.wrapped else { out += "null"; return true }
            return write(inner)
        default: return false
        }
        return true
    }

    private mutating func writeFloat<T: BinaryFloatingPoint & LosslessStringConvertible>(_ n: T) -> Bool {
        guard n.isFinite else { return false }
        var s = n.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        out += s
        return true
    }

    private mutating func writeArray(_ a: [Any]) -> Bool {
        out += "["
        if pretty { out += "\n"; indent += 2 }
        for (i, element) in a.enumerated() {
            if i > 0 { out += pretty ? ",\n" : "," }
            if pretty { writeIndent() }
            guard write(element) else { return false }
        }
        if pretty { out += "\n"; indent -= 2; writeIndent() }
        out += "]"
        return true
    }

    private mutating func writeObject(_ d: [String: Any]) -> Bool {
        out += "{"
        if pretty {
            out += "\n"
            indent += 2
            if !d.isEmpty { writeIndent() }
        }
        let pairs = sortedKeys ? d.sorted { JSONKeyOrder.precedes($0.key, $1.key) } : Array(d)
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 {
                out += pretty ? ",\n" : ","
                if pretty { writeIndent() }
            }
            writeString(key)
            out += pretty ? " : " : ":"
            guard write(value) else { return false }
        }
        if pretty { out += "\n"; indent -= 2; writeIndent() }
        out += "}"
        return true
    }

    private mutating func writeIndent() { out += String(repeating: " ", count: indent) }

    private mutating func writeString(_ s: String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/": out += "\\/"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}"..."\u{f}": out += "\\u000" + String(scalar.value, radix: 16)
            case "\u{10}"..."\u{1f}": out += "\\u00" + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

private protocol AnyOptional {
    var wrapped: Any? { get }
}

extension Optional: AnyOptional {
    var wrapped: Any? { map { $0 as Any } }
}
