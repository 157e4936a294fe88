/// A parsed SDP offer (RFC 8866) as WHIP/WHEP clients send it: session-level attributes and media sections.
/// ICE and DTLS attributes may sit at either level (RFC 8839 5, RFC 8842 5); the media accessors fall back
/// to the session level.
public struct SdpSession: Sendable, Equatable {
    public var origin: String = ""
    public var sessionName: String = ""
    /// a=group lines: semantics (BUNDLE, LS...) and mids.
    public var groups: [(semantics: String, mids: [String])] = []
    public var iceLite = false
    public var iceUfrag: String?
    public var icePassword: String?
    public var iceOptions: [String] = []
    public var fingerprints: [SdpFingerprint] = []
    public var setup: SdpSetup?
    public var extmapAllowMixed = false
    public var media: [SdpMediaDescription] = []

    public static func == (a: SdpSession, b: SdpSession) -> Bool {
        a.origin == b.origin && a.media == b.media && a.iceUfrag == b.iceUfrag && a.fingerprints == b.fingerprints
            && a.groups.map { "\($0.semantics) \($0.mids)" } == b.groups.map { "\($0.semantics) \($0.mids)" }
    }

    public var bundleMids: [String]? { groups.first { $0.semantics == "BUNDLE" }?.mids }

    public func iceUfrag(of m: SdpMediaDescription) -> String? { m.iceUfrag ?? iceUfrag }
    public func icePassword(of m: SdpMediaDescription) -> String? { m.icePassword ?? icePassword }
    public func fingerprints(of m: SdpMediaDescription) -> [SdpFingerprint] { m.fingerprints.isEmpty ? fingerprints : m.fingerprints }
    public func setup(of m: SdpMediaDescription) -> SdpSetup? { m.setup ?? setup }

    /// Parses an offer. Lines end in CRLF or LF (RFC 8866 5 asks parsers to accept LF); a last line without an
    /// end is accepted (FFmpeg's WHIP muxer sends one). Unknown lines and attributes are kept or skipped, never fatal.
    public init(parsing text: String, limits: SdpLimits = SdpLimits()) throws(SdpError) {
        let utf8 = text.utf8
        guard utf8.count <= limits.maxBytes else { throw .tooLarge(bytes: utf8.count, limit: limits.maxBytes) }
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        guard lines.count <= limits.maxLines else { throw .tooManyLines(limit: limits.maxLines) }
        guard lines.first == "v=0" else { throw .missing("v=0 as its first line") }
        var current: SdpMediaDescription?
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            guard raw.utf8.count <= limits.maxLineLength else { throw .lineTooLong(line: number, limit: limits.maxLineLength) }
            let line = raw.last == "\r" ? raw.dropLast() : raw
            guard line.count >= 2, line.dropFirst().first == "=" else { throw .malformedLine(line: number, text: String(line.prefix(80))) }
            let type = line.first
            let value = line.dropFirst(2)
            switch type {
            case "m":
                if let m = current { media.append(m) }
                guard media.count < limits.maxMediaSections else {
                    let total = lines.filter { $0.hasPrefix("m=") }.count
                    throw .tooManyMediaSections(count: total, limit: limits.maxMediaSections)
                }
                let parts = value.split(separator: " ")
                guard parts.count >= 4, let port = parts[1].split(separator: "/").first.flatMap({ Int($0) }), (0...65535).contains(port) else {
                    throw .malformedLine(line: number, text: String(line.prefix(80)))
                }
                current = SdpMediaDescription(kind: String(parts[0]), port: port, proto: String(parts[2]), formats: parts[3...].map(String.init))
            case "a":
                let nv = value.split(separator: ":", maxSplits: 1)
                guard let name = nv.first else { throw .malformedLine(line: number, text: String(line.prefix(80))) }
                let attrValue = nv.count == 2 ? nv[1] : nil
                let ok: Bool
                if current != nil {
                    ok = current?.apply(attribute: name, value: attrValue) ?? false
                } else {
                    ok = applySession(attribute: name, value: attrValue)
                }
                guard ok else { throw .malformedLine(line: number, text: String(line.prefix(80))) }
            case "o" where current == nil: origin = String(value)
            case "s" where current == nil: sessionName = String(value)
            default: break
            }
        }
        if let m = current { media.append(m) }
        guard !media.isEmpty else { throw .missing("a media section") }
    }

    private mutating func applySession(attribute name: Substring, value: Substring?) -> Bool {
        switch name {
        case "group":
            guard let v = value else { return false }
            let parts = v.split(separator: " ")
            guard let semantics = parts.first else { return false }
            groups.append((String(semantics), parts.dropFirst().map(String.init)))
        case "ice-lite": iceLite = true
        case "ice-options": iceOptions = value.map { $0.split(separator: " ").map(String.init) } ?? []
        case "extmap-allow-mixed": extmapAllowMixed = true
        case "ice-ufrag", "ice-pwd", "fingerprint", "setup":
            // Parsed with the media rules, then lifted to the session level.
            var probe = SdpMediaDescription(kind: "", port: 0, proto: "", formats: [])
            guard probe.apply(attribute: name, value: value) else { return false }
            iceUfrag = probe.iceUfrag ?? iceUfrag
            icePassword = probe.icePassword ?? icePassword
            fingerprints += probe.fingerprints
            setup = probe.setup ?? setup
        default: break
        }
        return true
    }
}
