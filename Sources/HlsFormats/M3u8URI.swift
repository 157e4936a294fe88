/// Reference resolution (RFC 3986 5.2) for the URIs of a playlist, which are often relative to it.
public enum M3u8URI {
    /// `reference` made absolute against the playlist URL `base`; nil when `base` is not absolute.
    public static func resolve(_ reference: String, against base: String) -> String? {
        if hasScheme(reference) { return reference }
        guard hasScheme(base), let colon = base.firstIndex(of: ":"), base[colon...].hasPrefix("://") else { return nil }
        let scheme = base[..<colon]
        let afterScheme = base[base.index(colon, offsetBy: 3)...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let origin = String(base[..<authorityEnd])
        var basePath = afterScheme[authorityEnd...]
        if let cut = basePath.firstIndex(where: { $0 == "#" }) { basePath = basePath[..<cut] }
        var baseQuery: Substring = ""
        if let q = basePath.firstIndex(of: "?") {
            baseQuery = basePath[q...]
            basePath = basePath[..<q]
        }
        if reference.hasPrefix("//") { return scheme + ":" + reference }
        if reference.isEmpty { return origin + basePath + baseQuery }
        if reference.hasPrefix("?") { return origin + basePath + reference }
        if reference.hasPrefix("#") { return origin + basePath + baseQuery }
        let (refPath, refRest) = split(reference)
        if refPath.hasPrefix("/") { return origin + removeDotSegments(refPath) + refRest }
        let directory = basePath.lastIndex(of: "/").map { basePath[...$0] } ?? "/"
        return origin + removeDotSegments(directory + refPath) + refRest
    }

    /// A scheme is letters, digits, `+`, `-`, `.` before the first `:`, starting with a letter.
    private static func hasScheme(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":"), colon != s.startIndex, let first = s.first, first.isASCII, first.isLetter else { return false }
        return s[..<colon].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// Path, and query plus fragment.
    private static func split(_ reference: String) -> (Substring, Substring) {
        let cut = reference.firstIndex { $0 == "?" || $0 == "#" } ?? reference.endIndex
        var rest = reference[cut...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        return (reference[..<cut], rest)
    }

    /// RFC 3986 5.2.4 on an absolute path.
    static func removeDotSegments<S: StringProtocol>(_ path: S) -> String {
        var out: [Substring] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for (i, p) in parts.enumerated() {
            let last = i == parts.count - 1
            switch p {
            case ".":
                if last { out.append("") }
            case "..":
                if out.count > 1 { out.removeLast() }
                if last { out.append("") }
            default:
                out.append(Substring(p))
            }
        }
        let joined = out.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }
}
