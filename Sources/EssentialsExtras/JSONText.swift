/// JSON text to and from trees of `[String: Any]`, `[Any]`, strings, numbers, booleans and `JSONNull`, written
/// and read the way Foundation's JSONSerialization did: the server keeps its output byte for byte while linking
/// FoundationEssentials only (JSONSerialization is in Foundation, which loads ICU).
public enum JSONText {
    /// The text of `object` (an array or a dictionary with string keys), or nil when something in it is not JSON
    /// (a non-finite number, a non-string key, a value of another type).
    public static func text(_ object: Any, sortedKeys: Bool = true, pretty: Bool = false) -> String? {
        guard object is [Any] || object is [String: Any] else { return nil }
        var writer = JSONWriter(sortedKeys: sortedKeys, pretty: pretty)
        guard writer.write(object) else { return nil }
        return writer.out
    }

    /// The array or object of a JSON text; nil when the text is not one (JSONSerialization's rules: no top-level
    /// scalar, no trailing text, at most `JSONReader.maxDepth` levels).
    public static func parse(_ bytes: some Collection<UInt8>) -> Any? {
        let array = Array(bytes)
        return array.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            return reader.document()
        }
    }

    public static func parse(_ text: String) -> Any? { parse(Array(text.utf8)) }
}

/// JSON's `null` in a parsed tree (Foundation's NSNull).
public struct JSONNull: Hashable, Sendable {
    public init() {}
}
