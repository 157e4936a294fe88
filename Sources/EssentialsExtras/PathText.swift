/// NSString's path arithmetic on plain strings: slash-separated, trailing slashes ignored.
public enum PathText {
    /// NSString.deletingLastPathComponent: `/a/b/` → `/a`, `/a` → `/`, `a` → ``.
    public static func deletingLastComponent(_ path: String) -> String {
        let trimmed = trimmedTrailingSlashes(path)
        if trimmed.isEmpty { return path.hasPrefix("/") ? "/" : "" }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        let head = trimmedTrailingSlashes(String(trimmed[..<slash]))
        return head.isEmpty ? (path.hasPrefix("/") ? "/" : "") : head
    }

    /// NSString.lastPathComponent: `/a/b/` → `b`, `/` → `/`.
    public static func lastComponent(_ path: String) -> String {
        let trimmed = trimmedTrailingSlashes(path)
        if trimmed.isEmpty { return path.hasPrefix("/") ? "/" : "" }
        return trimmed.lastIndex(of: "/").map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
    }

    /// NSString.pathExtension: what follows the last `.` of the last component, `` when there is none.
    public static func pathExtension(_ path: String) -> String {
        let last = lastComponent(path)
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "" }
        return String(last[last.index(after: dot)...])
    }

    private static func trimmedTrailingSlashes(_ path: String) -> String {
        var s = Substring(path)
        while s.count > 1, s.hasSuffix("/") { s.removeLast() }
        return s == "/" ? "" : String(s)
    }
}
