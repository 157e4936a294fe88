/// Digest credentials from an Authorization header (RFC 2617 3.2.2).
public struct RtspDigestCredentials: Sendable, Equatable {
    public var username: String
    public var realm: String
    public var nonce: String
    public var uri: String
    public var response: String
    public var algorithm: String?
    public var opaque: String?
    public var qop: String?
    public var nc: String?
    public var cnonce: String?

    public init(username: String, realm: String, nonce: String, uri: String, response: String, algorithm: String? = nil,
                opaque: String? = nil, qop: String? = nil, nc: String? = nil, cnonce: String? = nil) {
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response
        self.algorithm = algorithm
        self.opaque = opaque
        self.qop = qop
        self.nc = nc
        self.cnonce = cnonce
    }

    /// Whether `response` is right for this password and request method. The caller still checks that
    /// `nonce` is one it issued and `realm` its own; `uri` is taken as the client sent it (ffmpeg and
    /// GStreamer send the request URI, which may differ from the request line's after a redirect).
    public func verify(password: String, method: String) -> Bool {
        guard let algorithm = RtspDigestAlgorithm(name: algorithm) else { return false }
        return verify(ha1: RtspDigest.ha1(username: username, realm: realm, password: password, algorithm: algorithm), method: method)
    }

    /// As `verify(password:method:)` for a server that stores H(username:realm:password).
    public func verify(ha1: String, method: String) -> Bool {
        guard let algorithm = RtspDigestAlgorithm(name: algorithm) else { return false }
        let qopValue = qop?.asciiLowercased()
        // auth-int would need a hash of the body; no RTSP client uses it.
        if let qopValue { guard qopValue == "auth", nc != nil, cnonce != nil else { return false } }
        let expected = RtspDigest.response(ha1: ha1.asciiLowercased(), method: method, uri: uri, nonce: nonce,
                                           qop: qopValue, nc: nc, cnonce: cnonce, algorithm: algorithm)
        return constantTimeEquals(Array(expected.utf8), Array(response.asciiLowercased().utf8))
    }

    /// The Authorization header value.
    public var headerValue: String {
        var s = "Digest username=\(AuthParameters.quote(username)), realm=\(AuthParameters.quote(realm)), "
            + "nonce=\(AuthParameters.quote(nonce)), uri=\(AuthParameters.quote(uri)), response=\(AuthParameters.quote(response))"
        if let algorithm { s += ", algorithm=\(algorithm)" }
        if let opaque { s += ", opaque=\(AuthParameters.quote(opaque))" }
        if let qop, let nc, let cnonce { s += ", qop=\(qop), nc=\(nc), cnonce=\(AuthParameters.quote(cnonce))" }
        return s
    }
}

/// A parsed Authorization header.
public enum RtspAuthorization: Sendable, Equatable {
    case basic(username: String, password: String)
    case digest(RtspDigestCredentials)

    /// Nil for other schemes or malformed credentials.
    public init?(header value: String) {
        let trimmed = value.trimmingSpaces()
        guard trimmed.utf8.count <= AuthParameters.maxLength else { return nil }
        let parts = trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else { return nil }
        switch String(parts[0]).asciiLowercased() {
        case "basic":
            guard let raw = Base64.decode(parts[1].trimmingSpaces()), let text = String(validating: raw, as: UTF8.self),
                  let colon = text.firstIndex(of: ":") else { return nil }
            self = .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        case "digest":
            guard let c = AuthParameters.parse(String(trimmed)).first, c.scheme.asciiLowercased() == "digest" else { return nil }
            let p = c.params
            guard let username = p["username"], let nonce = p["nonce"], let uri = p["uri"], let response = p["response"] else { return nil }
            self = .digest(RtspDigestCredentials(username: username, realm: p["realm"] ?? "", nonce: nonce, uri: uri,
                                                 response: response, algorithm: p["algorithm"], opaque: p["opaque"],
                                                 qop: p["qop"], nc: p["nc"], cnonce: p["cnonce"]))
        default:
            return nil
        }
    }

    public var username: String {
        switch self {
        case .basic(let u, _): return u
        case .digest(let d): return d.username
        }
    }

    /// Checks user and password for either scheme, in constant time per comparison. For Digest, also give
    /// the realm and nonce the server issued: a response to another nonce is a replay.
    public func verify(username expectedUser: String, password: String, method: String,
                       realm: String? = nil, nonce: String? = nil) -> Bool {
        switch self {
        case .basic(let user, let pass):
            let userOK = constantTimeEquals(Array(user.utf8), Array(expectedUser.utf8))
            let passOK = constantTimeEquals(Array(pass.utf8), Array(password.utf8))
            return userOK && passOK
        case .digest(let d):
            if let realm, d.realm != realm { return false }
            if let nonce, !constantTimeEquals(Array(d.nonce.utf8), Array(nonce.utf8)) { return false }
            return d.username == expectedUser && d.verify(password: password, method: method)
        }
    }

    /// "Basic <base64(user:pass)>".
    public static func basicHeaderValue(username: String, password: String) -> String {
        "Basic " + Base64.encode(Array("\(username):\(password)".utf8))
    }
}
