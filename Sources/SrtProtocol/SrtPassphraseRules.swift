/// Which passphrase (and AES key length) a stream needs: rules `"pattern=passphrase"` or
/// `"pattern=passphrase|pbkeylen"`, where the pattern is `app/stream` with `*` matching any text, optionally
/// limited to one direction by `publish:` or `read:` in front (MediaMTX keeps publish and read passphrases
/// apart). The first matching rule wins; an empty passphrase in a rule means no encryption for its streams;
/// streams no rule matches take the table's `passphrase` (which may be empty: no encryption).
public struct SrtPassphraseRules: Equatable, Sendable {
    public struct Rule: Equatable, Sendable {
        public let mode: SrtStreamId.Mode?
        public let pattern: String
        public let secret: SrtSecret
    }

    public let rules: [Rule]
    public let fallback: SrtSecret

    /// Invalid rules come back as messages (and are left out), so the plugin logs them and starts anyway.
    public static func parse(_ specs: [String], passphrase: String, pbkeylen: Int) -> (SrtPassphraseRules, problems: [String]) {
        var problems: [String] = []
        var fallback = SrtSecret.none
        if !passphrase.isEmpty {
            switch SrtSecret.make(passphrase, keyLength: pbkeylen) {
            case .success(let s): fallback = s
            case .failure(let why): problems.append("passphrase: \(why); streams are not encrypted")
            }
        }
        var rules: [Rule] = []
        for spec in specs {
            guard let eq = spec.firstIndex(of: "=") else {
                problems.append("passphrase rule '\(spec)' is not \"app/stream=passphrase\"")
                continue
            }
            var pattern = Substring(spec[..<eq])
            var mode: SrtStreamId.Mode?
            if pattern.hasPrefix("publish:") { mode = .publish; pattern = pattern.dropFirst(8) }
            else if pattern.hasPrefix("read:") { mode = .request; pattern = pattern.dropFirst(5) }
            var secretText = String(spec[spec.index(after: eq)...])
            var keyLength = pbkeylen
            if let bar = secretText.lastIndex(of: "|"), let n = Int(secretText[secretText.index(after: bar)...]) {
                keyLength = n
                secretText = String(secretText[..<bar])
            }
            guard !pattern.isEmpty else {
                problems.append("passphrase rule '\(spec)' has no pattern")
                continue
            }
            if secretText.isEmpty {
                rules.append(Rule(mode: mode, pattern: String(pattern), secret: .none))
                continue
            }
            switch SrtSecret.make(secretText, keyLength: keyLength) {
            case .success(let s): rules.append(Rule(mode: mode, pattern: String(pattern), secret: s))
            case .failure(let why): problems.append("passphrase rule for '\(pattern)': \(why); skipped")
            }
        }
        return (SrtPassphraseRules(rules: rules, fallback: fallback), problems)
    }

    public init(rules: [Rule] = [], fallback: SrtSecret = .none) {
        self.rules = rules
        self.fallback = fallback
    }

    public func secret(app: String, stream: String, mode: SrtStreamId.Mode) -> SrtSecret {
        let name = "\(app)/\(stream)"
        for r in rules where (r.mode == nil || r.mode == mode) && Self.matches(r.pattern, name) { return r.secret }
        return fallback
    }

    /// `*` matches any run of characters (also `/`), everything else itself.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var (pi, ti) = (0, 0)
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if pi < p.count, p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// A passphrase as libsrt takes it: 10 to 79 characters, and a key length of 16, 24 or 32 bytes (0: libsrt's
/// default, 16).
public struct SrtSecret: Equatable, Sendable {
    public let passphrase: String
    public let keyLength: Int

    public init(passphrase: String, keyLength: Int) {
        self.passphrase = passphrase
        self.keyLength = keyLength
    }

    public static let none = SrtSecret(passphrase: "", keyLength: 0)
    public var isEncrypted: Bool { !passphrase.isEmpty }

    public static func make(_ passphrase: String, keyLength: Int) -> Result<SrtSecret, SrtConfigProblem> {
        let n = passphrase.utf8.count
        guard (10...79).contains(n) else { return .failure(SrtConfigProblem("a passphrase needs 10 to 79 characters, not \(n)")) }
        guard [0, 16, 24, 32].contains(keyLength) else { return .failure(SrtConfigProblem("pbkeylen must be 16, 24 or 32, not \(keyLength)")) }
        return .success(SrtSecret(passphrase: passphrase, keyLength: keyLength))
    }
}

public struct SrtConfigProblem: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
