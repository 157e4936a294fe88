/// Foundation's `trimmingCharacters(in: .whitespaces)` and `.whitespacesAndNewlines`.
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Unicode space separators and U+0009).
    public func trimmingSpaces() -> String { trimming { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator } }

    /// Without leading and trailing spaces, tabs and line breaks.
    public func trimmingSpacesAndNewlines() -> String {
        trimming { s in
            s == "\t" || s.properties.generalCategory == .spaceSeparator || ("\n"..."\r").contains(s) || s == "\u{85}"
                || s.properties.generalCategory == .lineSeparator || s.properties.generalCategory == .paragraphSeparator
        }
    }

    /// Without leading and trailing scalars in `set`.
    public func trimming(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        return trimming { scalars.contains($0) }
    }

    private func trimming(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) }) else {
            return ""
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }
}

extension Unicode.Scalar {
    /// Foundation's CharacterSet.alphanumerics: general categories L*, M* and N*.
    public var isAlphanumeric: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
