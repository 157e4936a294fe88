/// The Range header in Normal Play Time (RFC 2326 3.6 and 12.29): `npt=10.5-`, `npt=now-`, `npt=0-20`,
/// `npt=00:01:02.5-`. SMPTE and clock ranges are not modelled (live streams never need them).
public struct RtspRange: Sendable, Equatable {
    public enum Start: Sendable, Equatable {
        case now
        case seconds(Double)
    }

    /// Nil for an open start (`npt=-20`).
    public var start: Start?
    public var end: Double?

    public init(start: Start?, end: Double? = nil) {
        self.start = start
        self.end = end
    }

    /// Nil for a non-npt range or malformed times; a `;time=` suffix is ignored.
    public init?(parsing value: String) {
        guard value.utf8.count <= 256 else { return nil }
        let spec = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingSpaces()
        let kv = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard kv.count == 2, String(kv[0].trimmingSpaces()).asciiLowercased() == "npt" else { return nil }
        let bounds = kv[1].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2 else { return nil }
        let a = bounds[0].trimmingSpaces(), b = bounds[1].trimmingSpaces()
        if a.isEmpty {
            start = nil
        } else if String(a).asciiLowercased() == "now" {
            start = .now
        } else {
            guard let s = Self.time(a) else { return nil }
            start = .seconds(s)
        }
        if b.isEmpty {
            end = nil
        } else {
            guard let e = Self.time(b) else { return nil }
            end = e
        }
        guard start != nil || end != nil else { return nil }
        if case .seconds(let s)? = start, let end, end < s { return nil }
    }

    /// `npt=now-`, `npt=10.500-`, `npt=0.000-20.000`.
    public func format() -> String {
        var s = "npt="
        switch start {
        case .now?: s += "now"
        case .seconds(let v)?: s += Self.formatSeconds(v)
        case nil: break
        }
        s += "-"
        if let end { s += Self.formatSeconds(end) }
        return s
    }

    /// Seconds ("12.5") or hh:mm:ss.frac ("1:02:03.5"); capped at ~31 years so nothing overflows downstream.
    static func time(_ s: Substring) -> Double? {
        guard (1...32).contains(s.utf8.count), s.utf8.allSatisfy({ (48...58).contains($0) || $0 == 46 }) else { return nil }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        let value: Double
        switch parts.count {
        case 1:
            guard let v = decimal(parts[0]) else { return nil }
            value = v
        case 3:
            guard let h = parseBoundedInt(parts[0], max: 1_000_000), let m = parseBoundedInt(parts[1], max: 59),
                  let sec = decimal(parts[2]), sec < 60 else { return nil }
            value = Double(h) * 3600 + Double(m) * 60 + sec
        default:
            return nil
        }
        return value <= 1e9 ? value : nil
    }

    private static func decimal(_ s: Substring) -> Double? {
        let pieces = s.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, !pieces[0].isEmpty, pieces[0].utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        if pieces.count == 2 { guard pieces[1].utf8.allSatisfy({ (48...57).contains($0) }) else { return nil } }
        guard let v = Double(s), v.isFinite, v >= 0 else { return nil }
        return v
    }

    private static func formatSeconds(_ v: Double) -> String {
        let millis = Int((max(0, min(v, 1e9)) * 1000).rounded())
        let frac = millis % 1000
        return "\(millis / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
    }
}
