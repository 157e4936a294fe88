/// Client side of RTSP authentication: remembers the server's challenge after a 401 and signs each
/// following request. Digest is preferred over Basic (the password never crosses the wire), SHA-256 over MD5.
public struct RtspClientAuthenticator: Sendable {
    public var username: String
    public var password: String
    public private(set) var challenge: RtspAuthChallenge?
    /// qop=auth requires a fresh nc per request with the same nonce.
    private var nonceCount: UInt32 = 0

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Takes the challenges of a 401 response. False when none is usable (then retrying is pointless).
    public mutating func handle(unauthorized response: RtspMessage) -> Bool {
        handle(challenges: response.headerValues("WWW-Authenticate"))
    }

    public mutating func handle(challenges headerValues: [String]) -> Bool {
        guard let best = Self.choose(RtspAuthChallenge.parse(headerValues)) else { return false }
        challenge = best
        nonceCount = 0
        return true
    }

    /// The Authorization value for a request, or nil before any challenge.
    public mutating func authorization(method: String, uri: String) -> String? {
        switch challenge {
        case nil:
            return nil
        case .basic?:
            return RtspAuthorization.basicHeaderValue(username: username, password: password)
        case .digest(let d)?:
            guard let algorithm = RtspDigestAlgorithm(name: d.algorithm) else { return nil }
            let ha1 = RtspDigest.ha1(username: username, realm: d.realm, password: password, algorithm: algorithm)
            var credentials = RtspDigestCredentials(username: username, realm: d.realm, nonce: d.nonce, uri: uri, response: "",
                                                    algorithm: d.algorithm, opaque: d.opaque)
            if d.qop.contains("auth") {
                nonceCount &+= 1
                let hex = String(nonceCount, radix: 16)
                credentials.qop = "auth"
                credentials.nc = String(repeating: "0", count: 8 - hex.count) + hex
                credentials.cnonce = hexString(randomBytes(8))
            }
            credentials.response = RtspDigest.response(ha1: ha1, method: method, uri: uri, nonce: d.nonce, qop: credentials.qop,
                                                       nc: credentials.nc, cnonce: credentials.cnonce, algorithm: algorithm)
            return credentials.headerValue
        }
    }

    /// One-shot form: the Authorization value answering these WWW-Authenticate values.
    public static func authorization(challenges headerValues: [String], method: String, uri: String,
                                     username: String, password: String) -> String? {
        var a = RtspClientAuthenticator(username: username, password: password)
        guard a.handle(challenges: headerValues) else { return nil }
        return a.authorization(method: method, uri: uri)
    }

    private static func choose(_ challenges: [RtspAuthChallenge]) -> RtspAuthChallenge? {
        func usable(_ d: RtspDigestChallenge) -> RtspDigestAlgorithm? {
            // qop offered without "auth" means auth-int only, which needs body hashing this client does not do.
            guard d.qop.isEmpty || d.qop.contains("auth") else { return nil }
            return RtspDigestAlgorithm(name: d.algorithm)
        }
        var digests: [(RtspDigestChallenge, RtspDigestAlgorithm)] = []
        var basic: RtspAuthChallenge?
        for c in challenges {
            switch c {
            case .digest(let d): if let a = usable(d) { digests.append((d, a)) }
            case .basic: if basic == nil { basic = c }
            }
        }
        if let d = digests.first(where: { $0.1 == .sha256 }) ?? digests.first { return .digest(d.0) }
        return basic
    }
}
