/// Reads the `scheme param=value, param="quoted", ...` lists of WWW-Authenticate and Authorization
/// (RFC 7235 2.1). One header may hold several challenges; a token not followed by '=' starts the next one.
struct AuthParameters {
    struct Challenge {
        var scheme: String
        /// Lower-cased names; quoted values unescaped.
        var params: [String: String]
        /// The rest after the scheme, for token68 credentials such as Basic's base64.
        var rawRest: String
    }

    static let maxLength = 8192

    static func parse(_ value: String) -> [Challenge] {
        let u = Array(value.utf8.prefix(maxLength))
        var i = 0
        var out: [Challenge] = []
        while i < u.count {
            skip(u, &i, while: { $0 == 32 || $0 == 9 || $0 == 44 })
            guard i < u.count else { break }
            let scheme = token(u, &i)
            guard !scheme.isEmpty else { i += 1; continue }
            skip(u, &i, while: { $0 == 32 || $0 == 9 })
            let restStart = i
            var params: [String: String] = [:]
            while i < u.count {
                let save = i
                skip(u, &i, while: { $0 == 32 || $0 == 9 || $0 == 44 })
                let name = token(u, &i)
                skip(u, &i, while: { $0 == 32 || $0 == 9 })
                guard !name.isEmpty, i < u.count, u[i] == 61 else { i = save; break }
                i += 1
                skip(u, &i, while: { $0 == 32 || $0 == 9 })
                params[name.asciiLowercased()] = valueAt(u, &i)
            }
            // A token68 (Basic's base64) is not a parameter list: take everything up to the next comma.
            if params.isEmpty {
                var j = restStart
                skip(u, &j, while: { $0 != 44 })
                let rest = String(decoding: u[restStart..<j], as: UTF8.self)
                out.append(Challenge(scheme: scheme, params: [:], rawRest: String(rest.trimmingSpaces())))
                i = max(i, j)
            } else {
                out.append(Challenge(scheme: scheme, params: params, rawRest: ""))
            }
        }
        return out
    }

    private static func skip(_ u: [UInt8], _ i: inout Int, while predicate: (UInt8) -> Bool) {
        while i < u.count, predicate(u[i]) { i += 1 }
    }

    private static func token(_ u: [UInt8], _ i: inout Int) -> String {
        let start = i
        skip(u, &i, while: isTokenByte)
        return String(decoding: u[start..<i], as: UTF8.self)
    }

    private static func valueAt(_ u: [UInt8], _ i: inout Int) -> String {
        guard i < u.count, u[i] == 34 else {
            let start = i
            skip(u, &i, while: { $0 != 44 && $0 != 32 && $0 != 9 })
            return String(decoding: u[start..<i], as: UTF8.self)
        }
        i += 1
        var out: [UInt8] = []
        while i < u.count, u[i] != 34 {
            if u[i] == 92, i + 1 < u.count { i += 1 }
            out.append(u[i])
            i += 1
        }
        if i < u.count { i += 1 }
        return String(decoding: out, as: UTF8.self)
    }

    /// A quoted-string with `"` and `\` escaped; CR/LF blanked so it cannot end the header.
    static func quote(_ s: String) -> String {
        var out: [UInt8] = [34]
        for c in s.utf8 {
            if c == 34 || c == 92 { out.append(92) }
            out.append(c == 13 || c == 10 ? 32 : c)
        }
        out.append(34)
        return String(decoding: out, as: UTF8.self)
    }
}
