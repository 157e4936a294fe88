/// HTTP Digest computations as RTSP uses them (RFC 2617 3.2.2, RFC 7616 for SHA-256).
public enum RtspDigestAlgorithm: String, Sendable {
    case md5 = "MD5"
    case sha256 = "SHA-256"

    /// Nil for algorithms this library cannot compute (MD5-sess, SHA-512-256...).
    public init?(name: String?) {
        guard let name else { self = .md5; return }
        switch name.asciiUppercased() {
        case "MD5": self = .md5
        case "SHA-256": self = .sha256
        default: return nil
        }
    }

    func hash(_ s: String) -> String {
        hexString(self == .md5 ? Digest.md5(Array(s.utf8)) : Digest.sha256(Array(s.utf8)))
    }
}

public enum RtspDigest {
    /// H(username:realm:password), what a server may store instead of the password.
    public static func ha1(username: String, realm: String, password: String, algorithm: RtspDigestAlgorithm = .md5) -> String {
        algorithm.hash("\(username):\(realm):\(password)")
    }

    /// The request-digest: H(HA1:nonce:HA2), or H(HA1:nonce:nc:cnonce:qop:HA2) when qop is given, with
    /// HA2 = H(method:uri). Lower-case hex.
    public static func response(ha1: String, method: String, uri: String, nonce: String,
                                qop: String? = nil, nc: String? = nil, cnonce: String? = nil,
                                algorithm: RtspDigestAlgorithm = .md5) -> String {
        let ha2 = algorithm.hash("\(method):\(uri)")
        if let qop {
            return algorithm.hash("\(ha1):\(nonce):\(nc ?? ""):\(cnonce ?? ""):\(qop):\(ha2)")
        }
        return algorithm.hash("\(ha1):\(nonce):\(ha2)")
    }

    /// 16 random bytes as 32 hex characters.
    public static func makeNonce() -> String { hexString(randomBytes(16)) }
}
