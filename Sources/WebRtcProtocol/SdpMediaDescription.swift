/// One m= section of an offer (RFC 8866 5.14) with the attributes WebRTC uses (RFC 8829/8843).
public struct SdpMediaDescription: Sendable, Equatable {
    public var kind: String
    public var port: Int
    public var proto: String
    /// Payload types (or `webrtc-datachannel` for SCTP) in the offerer's preference order.
    public var formats: [String]
    public var mid: String?
    public var direction: SdpDirection = .sendrecv
    public var iceUfrag: String?
    public var icePassword: String?
    public var fingerprints: [SdpFingerprint] = []
    public var setup: SdpSetup?
    public var rtcpMux = false
    public var rtcpReducedSize = false
    public var rtpMaps: [UInt8: SdpRtpMap] = [:]
    public var formatParameters: [UInt8: String] = [:]
    /// rtcp-fb values by payload type; the wildcard `*` applies to every payload type (RFC 4585 4.2).
    public var feedback: [UInt8: [String]] = [:]
    public var wildcardFeedback: [String] = []
    public var extmaps: [SdpExtmap] = []
    /// a=ssrc lines (RFC 5576 4.1): attribute name and value by SSRC, in order.
    public var ssrcAttributes: [(ssrc: UInt32, name: String, value: String)] = []
    public var ssrcGroups: [SdpSsrcGroup] = []
    public var rids: [SdpRid] = []
    public var simulcast: String?
    public var msid: String?
    public var candidates: [String] = []
    public var endOfCandidates = false
    /// Every other attribute, name and value, for extensions this parser does not know.
    public var otherAttributes: [(name: String, value: String?)] = []

    public init(kind: String, port: Int, proto: String, formats: [String]) {
        self.kind = kind
        self.port = port
        self.proto = proto
        self.formats = formats
    }

    public static func == (a: SdpMediaDescription, b: SdpMediaDescription) -> Bool {
        a.kind == b.kind && a.port == b.port && a.proto == b.proto && a.formats == b.formats && a.mid == b.mid
            && a.direction == b.direction && a.iceUfrag == b.iceUfrag && a.icePassword == b.icePassword
            && a.fingerprints == b.fingerprints && a.setup == b.setup && a.rtcpMux == b.rtcpMux && a.rtpMaps == b.rtpMaps
            && a.formatParameters == b.formatParameters && a.feedback == b.feedback && a.extmaps == b.extmaps
            && a.ssrcGroups == b.ssrcGroups && a.rids == b.rids
    }

    /// Payload types in offer order, numeric ones only.
    public var payloadTypes: [UInt8] { formats.compactMap { UInt8($0) }.filter { $0 < 128 } }

    /// Feedback for a payload type, the wildcard included.
    public func feedback(for pt: UInt8) -> [String] { (feedback[pt] ?? []) + wildcardFeedback }

    /// The SSRCs the offerer sends, primary first, with the RTX SSRC paired by FID (RFC 4588 8.1) when present.
    public var sendSsrcs: [(primary: UInt32, rtx: UInt32?)] {
        var seen: [UInt32] = []
        for a in ssrcAttributes where !seen.contains(a.ssrc) { seen.append(a.ssrc) }
        let fid = ssrcGroups.filter { $0.semantics == "FID" && $0.ssrcs.count == 2 }
        let repairs = Set(fid.map { $0.ssrcs[1] })
        return seen.filter { !repairs.contains($0) }.map { s in (s, fid.first { $0.ssrcs[0] == s }?.ssrcs[1]) }
    }

    public func cname(for ssrc: UInt32) -> String? { ssrcAttributes.first { $0.ssrc == ssrc && $0.name == "cname" }?.value }

    /// Applies one `a=` line; false when its value is malformed.
    mutating func apply(attribute name: Substring, value: Substring?) -> Bool {
        switch name {
        case "mid":
            // RFC 5888 4: a token. The answer lists mids space-separated in a=group:BUNDLE, so a mid with a
            // space (or any non-token byte) would come back to the offerer as other mids.
            guard let v = value, (1...64).contains(v.utf8.count), v.utf8.allSatisfy(Self.isTokenByte) else { return false }
            mid = String(v)
        case "sendrecv", "sendonly", "recvonly", "inactive": direction = SdpDirection(rawValue: String(name)) ?? .sendrecv
        case "ice-ufrag":
            guard let v = value, IceCredentials.isValid(v, minimum: 4) else { return false }
            iceUfrag = String(v)
        case "ice-pwd":
            guard let v = value, IceCredentials.isValid(v, minimum: 22) else { return false }
            icePassword = String(v)
        case "fingerprint":
            guard let v = value, let f = SdpFingerprint(v) else { return false }
            fingerprints.append(f)
        case "setup":
            guard let v = value, let s = SdpSetup(rawValue: String(v)) else { return false }
            setup = s
        case "rtcp-mux": rtcpMux = true
        case "rtcp-rsize": rtcpReducedSize = true
        case "rtpmap":
            guard let (pt, rest) = Self.payloadTypeAndRest(value), let map = SdpRtpMap(rest) else { return false }
            rtpMaps[pt] = map
        case "fmtp":
            guard let (pt, rest) = Self.payloadTypeAndRest(value) else { return false }
            formatParameters[pt] = String(rest)
        case "rtcp-fb":
            guard let v = value else { return false }
            let parts = v.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return false }
            if parts[0] == "*" {
                wildcardFeedback.append(String(parts[1]))
            } else {
                guard let pt = UInt8(parts[0]), pt < 128 else { return false }
                feedback[pt, default: []].append(String(parts[1]))
            }
        case "extmap":
            guard let v = value, let e = SdpExtmap(v) else { return false }
            extmaps.append(e)
        case "ssrc":
            guard let v = value else { return false }
            let parts = v.split(separator: " ", maxSplits: 1)
            guard let ssrc = parts.first.flatMap({ UInt32($0) }), parts.count == 2 else { return false }
            let kv = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = kv.first, !name.isEmpty else { return false }
            ssrcAttributes.append((ssrc, String(name), kv.count == 2 ? String(kv[1]) : ""))
        case "ssrc-group":
            guard let v = value else { return false }
            let parts = v.split(separator: " ")
            guard parts.count >= 2 else { return false }
            var ssrcs: [UInt32] = []
            for p in parts.dropFirst() {
                guard let s = UInt32(p) else { return false }
                ssrcs.append(s)
            }
            ssrcGroups.append(SdpSsrcGroup(semantics: String(parts[0]), ssrcs: ssrcs))
        case "rid":
            guard let v = value else { return false }
            let parts = v.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2 else { return false }
            rids.append(SdpRid(id: String(parts[0]), direction: String(parts[1]), restrictions: parts.count == 3 ? String(parts[2]) : ""))
        case "simulcast": simulcast = value.map(String.init)
        case "msid": msid = value.map(String.init)
        case "candidate": candidates.append(value.map(String.init) ?? "")
        case "end-of-candidates": endOfCandidates = true
        default: otherAttributes.append((String(name), value.map(String.init)))
        }
        return true
    }

    /// RFC 8866 9: token-char.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): return true
        default: return Array("!#$%&'*+-.^_`{|}~".utf8).contains(b)
        }
    }

    private static func payloadTypeAndRest(_ value: Substring?) -> (UInt8, Substring)? {
        guard let v = value else { return nil }
        let parts = v.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pt = UInt8(parts[0]), pt < 128 else { return nil }
        return (pt, parts[1])
    }
}
