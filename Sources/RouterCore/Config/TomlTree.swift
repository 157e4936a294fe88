import CTOML
#if canImport(Glibc)
import Glibc
#endif

/// toml++ (inside TOMLKit) read through TOMLKit's C layer, so what it allocates is given back. TOMLKit's Swift
/// types free nothing: `TOMLTable(string:)` keeps the parsed tree and its error buffer, `keys` mallocs and
/// strdups every key, `string`/`int`/`double`/`bool` malloc their result. The server parses its config two or
/// three times per hot reload, so that grew the heap for as long as it ran (6 to 23 KB per parse, 3.5 MB in the
/// hour soak). Here every buffer toml++'s C side hands over is freed, and the tree is emptied after reading;
/// the empty root object stays (TOMLKit has no call that deletes one: about a hundred bytes a parse).
enum TomlTree {
    struct SyntaxError: Error {
        let line: Int?
        let message: String
    }

    /// The top-level keys in toml++'s (alphabetical) order, with their values.
    static func parse(_ text: String) throws(SyntaxError) -> [(key: String, value: ConfigValue)] {
        // Filled (with a strdup'd description) only when the parse fails.
        let failure = UnsafeMutablePointer<CTOMLParseError>.allocate(capacity: 1)
        defer { failure.deallocate() }
        guard let root = createRoot(text, failure) else {
            let message = String(cString: failure.pointee.description)
            free(UnsafeMutableRawPointer(mutating: failure.pointee.description))
            throw SyntaxError(line: Int(failure.pointee.source.begin.line), message: message)
        }
        defer { tableClear(root) }
        return entries(root)
    }

    /// toml++'s parse. Its own function so that the fuzzers' leak check can name the one allocation that stays
    /// (`Fuzz/lsan.supp`: the root object, about a hundred bytes a parse) without hiding anything else.
    @inline(never)
    private static func createRoot(_ text: String, _ failure: UnsafeMutablePointer<CTOMLParseError>) -> OpaquePointer? {
        text.withCString { tableCreateFromString($0, failure) }
    }

    private static func entries(_ table: OpaquePointer) -> [(key: String, value: ConfigValue)] {
        let count = tableSize(table)
        guard count > 0 else { return [] }
        let keys = tableGetKeys(table)
        defer {
            for i in 0..<count { free(UnsafeMutableRawPointer(mutating: keys[i])) }
            free(UnsafeMutableRawPointer(mutating: keys))
        }
        var out: [(key: String, value: ConfigValue)] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let key = keys[i]
            guard let node = tableGetNode(table, key), let value = convert(node) else { continue }
            out.append((String(cString: key), value))
        }
        return out
    }

    private static func convert(_ node: OpaquePointer) -> ConfigValue? {
        switch nodeType(node) {
        case .table:
            guard let t = nodeAsTable(node) else { return nil }
            return .table(Dictionary(entries(t).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        case .array:
            guard let a = nodeAsArray(node) else { return nil }
            return .list((0..<arraySize(a)).compactMap { convert(arrayGetNode(a, Int64($0))) })
        case .string:
            guard let p = nodeAsString(node) else { return nil }
            defer { free(UnsafeMutableRawPointer(mutating: p)) }
            return .string(String(cString: p))
        case .integer:
            return taken(nodeAsInt(node)).map(ConfigValue.int)
        case .floatingPoint:
            return taken(nodeAsDouble(node)).map(ConfigValue.double)
        case .boolean:
            return taken(nodeAsBool(node)).map(ConfigValue.bool)
        case .date:
            return taken(nodeAsDate(node)).map { .string(text($0)) }
        case .timeType:
            return taken(nodeAsTime(node)).map { .string(text($0)) }
        case .dateTime:
            guard let p = nodeAsDateTime(node) else { return nil }
            // The offset comes from C++ `new`, not ours to free(): 2 bytes, on a date-time value only.
            defer { free(UnsafeMutableRawPointer(mutating: p)) }
            var s = text(p.pointee.date) + "T" + text(p.pointee.time)
            if let minutes = p.pointee.offset?.pointee.minutes {
                s += minutes == 0 ? "Z" : (minutes < 0 ? "-" : "+") + two(Int(abs(minutes)) / 60) + ":" + two(Int(abs(minutes)) % 60)
            }
            return .string(s)
        }
    }

    /// The value behind a pointer TOMLKit's C side malloc'd for the caller, and the pointer freed.
    private static func taken<T>(_ p: UnsafePointer<T>?) -> T? {
        guard let p else { return nil }
        defer { free(UnsafeMutableRawPointer(mutating: p)) }
        return p.pointee
    }

    private static func text(_ d: CTOMLDate) -> String { "\(d.year)-\(two(Int(d.month)))-\(two(Int(d.day)))" }
    private static func text(_ t: CTOMLTime) -> String { "\(two(Int(t.hour))):\(two(Int(t.minute))):\(two(Int(t.second)))" }
    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
