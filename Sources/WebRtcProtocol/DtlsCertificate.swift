import COpenSSLTLS

/// The server's DTLS identity: an ECDSA P-256 key and self-signed certificate made at start, and its
/// SHA-256 fingerprint for every answer (RFC 8122 5). Immutable once made, so loops share it.
public final class DtlsCertificate: Sendable {
    nonisolated(unsafe) let certificate: OpaquePointer
    nonisolated(unsafe) let key: OpaquePointer
    public let fingerprint: SdpFingerprint

    /// `serial` is an input so tests replay; the plugin passes a random one.
    public init?(commonName: String = "mediarouter", serial: Int = 1, validDays: Int = 365) {
        var key: OpaquePointer?
        guard let cert = mr_self_signed_p256(commonName, serial, validDays * 86_400, &key), let key else { return nil }
        guard let digest = Self.digest(of: cert, hashFunction: "sha-256") else {
            X509_free(cert)
            EVP_PKEY_free(key)
            return nil
        }
        self.certificate = cert
        self.key = key
        self.fingerprint = SdpFingerprint(hashFunction: "sha-256", digest: digest)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// The digest of a certificate with an SDP hash function name (RFC 8122 5: sha-1, sha-224...sha-512).
    static func digest(of cert: OpaquePointer, hashFunction: String) -> [UInt8]? {
        let md: OpaquePointer?
        switch hashFunction.lowercased() {
        case "sha-1": md = EVP_sha1()
        case "sha-224": md = EVP_sha224()
        case "sha-256": md = EVP_sha256()
        case "sha-384": md = EVP_sha384()
        case "sha-512": md = EVP_sha512()
        default: return nil
        }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard let md, X509_digest(cert, md, &out, &length) == 1 else { return nil }
        return Array(out.prefix(Int(length)))
    }
}
