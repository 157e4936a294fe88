/// The DTLS-SRTP protection profiles this stack negotiates (RFC 5764 4.1.2, RFC 7714 14.2).
public enum SrtpProfile: Sendable, Equatable {
    case aes128CmHmacSha1_80
    case aeadAes128Gcm

    /// The DTLS `use_srtp` profile id.
    public var dtlsId: UInt16 {
        switch self {
        case .aes128CmHmacSha1_80: 0x0001
        case .aeadAes128Gcm: 0x0007
        }
    }

    /// OpenSSL's name, for `SSL_CTX_set_tlsext_use_srtp` (GCM first: cheaper per byte and no separate MAC).
    public var openSslName: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        }
    }

    public init?(dtlsId: UInt16) {
        switch dtlsId {
        case 0x0001: self = .aes128CmHmacSha1_80
        case 0x0007: self = .aeadAes128Gcm
        default: return nil
        }
    }

    public var keyLength: Int { 16 }
    /// 112-bit salt for AES-CM (RFC 3711 8.2), 96-bit for GCM (RFC 7714 12).
    public var saltLength: Int { self == .aes128CmHmacSha1_80 ? 14 : 12 }
    /// HMAC-SHA1 truncated to 80 bits, or the 16-byte GCM tag, for both SRTP and SRTCP.
    public var tagLength: Int { self == .aes128CmHmacSha1_80 ? 10 : 16 }
}

/// Master key and salt for one direction, as the DTLS exporter hands them out (RFC 5764 4.2).
public struct SrtpMasterKey: Sendable, Equatable {
    public var key: [UInt8]
    public var salt: [UInt8]

    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }
}

public enum SrtpError: Error, Sendable, Equatable {
    case malformed
    case authenticationFailed
    case replayed
    case tooOld
    case cryptoFailure
}
