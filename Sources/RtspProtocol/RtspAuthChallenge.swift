/// A Digest challenge (RFC 2617 3.2.1) as sent in WWW-Authenticate.
public struct RtspDigestChallenge: Sendable, Equatable {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    /// As stated by the server; nil means not stated (MD5).
    public var algorithm: String?
    /// Offered qop values, lower case ("auth", "auth-int"); empty for RFC 2069-style challenges.
    public var qop: [String]
    public var stale: Bool

    public init(realm: String, nonce: String, opaque: String? = nil, algorithm: String? = nil, qop: [String] = [], stale: Bool = false) {
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        self.algorithm = algorithm
        self.qop = qop
        self.stale = stale
    }

    /// A fresh challenge with a random nonce. No qop by default: GStreamer's client ignores it, and both
    /// forms verify the same way on the server.
    public static func make(realm: String, offerQop: Bool = false) -> RtspDigestChallenge {
        RtspDigestChallenge(realm: realm, nonce: RtspDigest.makeNonce(), qop: offerQop ? ["auth"] : [])
    }

    public var headerValue: String {
        var s = "Digest realm=\(AuthParameters.quote(realm)), nonce=\(AuthParameters.quote(nonce))"
        if let opaque { s += ", opaque=\(AuthParameters.quote(opaque))" }
        if let algorithm { s += ", algorithm=\(algorithm)" }
        if !qop.isEmpty { s += ", qop=\(AuthParameters.quote(qop.joined(separator: ",")))" }
        if stale { s += ", stale=TRUE" }
        return s
    }
}

/// One challenge of a 401 response.
public enum RtspAuthChallenge: Sendable, Equatable {
    case basic(realm: String)
    case digest(RtspDigestChallenge)

    /// The WWW-Authenticate value.
    public var headerValue: String {
        switch self {
        case .basic(let realm): return "Basic realm=\(AuthParameters.quote(realm))"
        case .digest(let d): return d.headerValue
        }
    }

    /// Every Basic or Digest challenge in the given WWW-Authenticate values, in order; other schemes and
    /// Digest challenges without a nonce are dropped.
    public static func parse(_ headerValues: [String]) -> [RtspAuthChallenge] {
        var out: [RtspAuthChallenge] = []
        for value in headerValues.prefix(16) {
            for c in AuthParameters.parse(value) {
                switch c.scheme.asciiLowercased() {
                case "basic":
                    out.append(.basic(realm: c.params["realm"] ?? ""))
                case "digest":
                    guard let nonce = c.params["nonce"] else { continue }
                    let qop = (c.params["qop"] ?? "").split(separator: ",").map { String($0.trimmingSpaces()).asciiLowercased() }.filter { !$0.isEmpty }
                    out.append(.digest(RtspDigestChallenge(realm: c.params["realm"] ?? "", nonce: nonce, opaque: c.params["opaque"],
                                                           algorithm: c.params["algorithm"], qop: qop,
                                                           stale: c.params["stale"]?.asciiLowercased() == "true")))
                default:
                    continue
                }
            }
        }
        return out
    }
}
