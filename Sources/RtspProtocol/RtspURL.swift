/// An `rtsp://` or `rtsps://` URL (RFC 2326 3.2, RFC 7826 4.2): `rtsp://[user[:pass]@]host[:port]/path?query`.
public struct RtspURL: Sendable, Equatable {
    /// Lower case: "rtsp" or "rtsps".
    public var scheme: String
    /// Percent-decoded.
    public var user: String?
    public var password: String?
    /// Without IPv6 brackets.
    public var host: String
    /// The explicit port or the scheme's default (554, or 322 for rtsps).
    public var port: Int
    public var hasExplicitPort: Bool
    /// As sent (still percent-encoded), starting with "/" or empty.
    public var path: String
    public var query: String?

    public var isSecure: Bool { scheme == "rtsps" }

    public static func defaultPort(scheme: String) -> Int { scheme == "rtsps" ? 322 : 554 }

    public init?(_ string: String) {
        guard (1...4096).contains(string.utf8.count), string.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        guard let sep = string.firstRange(of: "://") else { return nil }
        let scheme = String(string[..<sep.lowerBound]).asciiLowercased()
        guard scheme == "rtsp" || scheme == "rtsps" else { return nil }
        self.scheme = scheme
        var rest = string[sep.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]

        user = nil
        password = nil
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let parts = info.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let u = percentDecode(parts[0]) else { return nil }
            user = u
            if parts.count == 2 {
                guard let p = percentDecode(parts[1]) else { return nil }
                password = p
            }
        }

        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.utf8.allSatisfy({ Self.isHexDigit($0) || $0 == 58 || $0 == 46 || $0 == 37 || isAsciiLetter($0) }) else {
                return nil
            }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = String(parts[0])
            if parts.count == 2 { portText = parts[1] }
            guard host.utf8.allSatisfy({ isAsciiLetter($0) || (48...57).contains($0) || $0 == 45 || $0 == 46 || $0 == 95 }) else {
                return nil
            }
        }
        guard !host.isEmpty else { return nil }
        if let portText {
            guard let p = parseBoundedInt(portText, max: 65535), p > 0 else { return nil }
            port = p
            hasExplicitPort = true
        } else {
            port = Self.defaultPort(scheme: scheme)
            hasExplicitPort = false
        }

        if let q = rest.firstIndex(of: "?") {
            path = String(rest[..<q])
            query = String(rest[rest.index(after: q)...])
        } else {
            path = String(rest)
            query = nil
        }
    }

    /// "host:port" with brackets around IPv6 literals, the port only when it was explicit.
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return hasExplicitPort ? "\(h):\(port)" : h
    }

    /// The URL without credentials (what goes in request lines and logs).
    public var string: String {
        "\(scheme)://\(authority)\(path)" + (query.map { "?\($0)" } ?? "")
    }

    /// Percent-decoded, non-empty path segments.
    public var pathSegments: [String] {
        path.split(separator: "/").map { percentDecode($0) ?? String($0) }
    }

    /// First segment = app, the rest = stream ("/live/cam/1" → ("live", "cam/1")). With `dropTrackControl`, a final
    /// per-track segment from SETUP (`trackID=1`, `streamid=0`, `stream=1`) is removed first. ffmpeg appends the
    /// control after the query when the URL has one ("/live/a?key=x/trackID=0"); that form is handled too.
    /// Nil when either part would be empty.
    public func appAndStream(dropTrackControl: Bool = false) -> (app: String, stream: String)? {
        var segments = pathSegments
        if dropTrackControl, trackControlInQuery == nil, let last = segments.last, Self.trackIndex(control: last) != nil {
            segments.removeLast()
        }
        guard segments.count >= 2 else { return nil }
        return (segments[0], segments.dropFirst().joined(separator: "/"))
    }

    /// The query without a track control that ffmpeg glued onto it.
    public var queryWithoutTrackControl: String? {
        guard let query else { return nil }
        guard let control = trackControlInQuery else { return query }
        return String(query.dropLast(control.utf8.count + 1))
    }

    /// The track control segment at the end of the path or of the query, if any.
    public var trackControl: String? {
        if let c = trackControlInQuery { return c }
        guard let last = pathSegments.last, Self.trackIndex(control: last) != nil else { return nil }
        return last
    }

    private var trackControlInQuery: String? {
        guard let query, let slash = query.lastIndex(of: "/") else { return nil }
        let tail = String(query[query.index(after: slash)...])
        return Self.trackIndex(control: tail) != nil ? tail : nil
    }

    /// The number in a per-track control segment: `trackID=1`, `streamid=0`, `stream=1`, `track=2`, `track2`.
    public static func trackIndex(control segment: String) -> Int? {
        let lower = segment.asciiLowercased()
        for prefix in ["trackid=", "streamid=", "stream=", "track=", "track"] where lower.hasPrefix(prefix) {
            return parseBoundedInt(lower.dropFirst(prefix.count), max: 9999)
        }
        return nil
    }

    /// Resolves an SDP `a=control` value against the base (Content-Base, else the DESCRIBE URL; RFC 2326 C.1.1).
    /// `*` or empty means the base itself; an absolute URL stands alone; a relative one is appended after a
    /// slash, as ffmpeg and live555 do (strict RFC 3986 merging would drop the last segment of a base without a
    /// trailing slash, which servers do not expect).
    public static func resolve(control: String, base: String) -> String {
        let c = control.trimmingSpaces()
        if c.isEmpty || c == "*" { return base }
        let lower = String(c.prefix(8)).asciiLowercased()
        if lower.hasPrefix("rtsp://") || lower.hasPrefix("rtsps://") || lower.hasPrefix("rtspu://") { return String(c) }
        if c.hasPrefix("/"), let url = RtspURL(base) {
            return "\(url.scheme)://\(url.authority)\(c)"
        }
        return base.hasSuffix("/") ? base + c : base + "/" + c
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (65...70).contains(c) || (97...102).contains(c)
    }
}
