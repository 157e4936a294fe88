import COpenSSL
import COpenSSLTLS

/// Session keys and OpenSSL contexts for one of SRTP or SRTCP in one direction (RFC 3711 4.1, 4.2; RFC 7714 8-10).
/// Contexts are keyed once and only re-IV'd per packet. Owned by one loop: not Sendable.
final class SrtpCipher {
    let profile: SrtpProfile
    let salt: [UInt8]
    private let encryptContext: OpaquePointer
    /// GCM needs a context initialised for decryption; AES-CM is its own inverse.
    private let decryptContext: OpaquePointer?
    private let mac: OpaquePointer?

    init?(profile: SrtpProfile, master: SrtpMasterKey, rtcp: Bool) {
        guard master.key.count == profile.keyLength, master.salt.count == profile.saltLength else { return nil }
        typealias L = SrtpKeyDerivation.Label
        guard let key = SrtpKeyDerivation.derive(master, label: rtcp ? L.rtcpEncryption : L.rtpEncryption, length: profile.keyLength),
              let salt = SrtpKeyDerivation.derive(master, label: rtcp ? L.rtcpSalt : L.rtpSalt, length: profile.saltLength)
        else { return nil }
        self.profile = profile
        self.salt = salt
        let cipher = profile == .aeadAes128Gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr()
        guard let enc = EVP_CIPHER_CTX_new() else { return nil }
        encryptContext = enc
        decryptContext = profile == .aeadAes128Gcm ? EVP_CIPHER_CTX_new() : nil
        if profile == .aes128CmHmacSha1_80 {
            guard let authKey = SrtpKeyDerivation.derive(master, label: rtcp ? L.rtcpAuthentication : L.rtpAuthentication, length: 20) else {
                return nil
            }
            mac = mr_hmac_sha1_new(authKey, authKey.count)
        } else {
            mac = nil
        }
        guard EVP_EncryptInit_ex(enc, cipher, nil, key, nil) == 1,
              profile == .aes128CmHmacSha1_80 ? mac != nil : decryptContext.map({ EVP_DecryptInit_ex($0, cipher, nil, key, nil) == 1 }) ?? false
        else { return nil }
    }

    /// Direct session keys, for the RFC 7714 vectors that publish them instead of master keys.
    init?(gcmSessionKey key: [UInt8], salt: [UInt8]) {
        guard key.count == 16, salt.count == 12, let enc = EVP_CIPHER_CTX_new(), let dec = EVP_CIPHER_CTX_new() else { return nil }
        profile = .aeadAes128Gcm
        self.salt = salt
        encryptContext = enc
        decryptContext = dec
        mac = nil
        guard EVP_EncryptInit_ex(enc, EVP_aes_128_gcm(), nil, key, nil) == 1,
              EVP_DecryptInit_ex(dec, EVP_aes_128_gcm(), nil, key, nil) == 1 else { return nil }
    }

    deinit {
        EVP_CIPHER_CTX_free(encryptContext)
        if let decryptContext { EVP_CIPHER_CTX_free(decryptContext) }
        if let mac { EVP_MAC_CTX_free(mac) }
    }

    /// AES-CM over `data` in place with a 16-byte IV.
    func counterMode(iv: UnsafePointer<UInt8>, _ data: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard EVP_EncryptInit_ex(encryptContext, nil, nil, nil, iv) == 1 else { return false }
        var outLength: Int32 = 0
        return count == 0 || EVP_EncryptUpdate(encryptContext, data, &outLength, data, Int32(count)) == 1
    }

    /// HMAC-SHA1 of `data` then `trailer` (the ROC for SRTP), truncated to the tag length, into `tag`.
    func authenticate(_ data: UnsafePointer<UInt8>, count: Int, trailer: [UInt8], tag: UnsafeMutablePointer<UInt8>) -> Bool {
        guard let mac, EVP_MAC_init(mac, nil, 0, nil) == 1, EVP_MAC_update(mac, data, count) == 1,
              EVP_MAC_update(mac, trailer, trailer.count) == 1 else { return false }
        var full = (UInt64(0), UInt64(0), UInt32(0))
        var length = 0
        let ok = withUnsafeMutableBytes(of: &full) { raw -> Bool in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
            guard EVP_MAC_final(mac, base, &length, 20) == 1 else { return false }
            tag.update(from: base, count: profile.tagLength)
            return true
        }
        return ok
    }

    /// GCM seal in place: `data` becomes ciphertext and the 16-byte tag goes to `tag`.
    func seal(iv: UnsafePointer<UInt8>, aad: UnsafePointer<UInt8>, aadCount: Int, _ data: UnsafeMutablePointer<UInt8>, count: Int,
              tag: UnsafeMutablePointer<UInt8>) -> Bool {
        var n: Int32 = 0
        var scratch = (UInt64(0), UInt64(0))
        return EVP_EncryptInit_ex(encryptContext, nil, nil, nil, iv) == 1
            && EVP_EncryptUpdate(encryptContext, nil, &n, aad, Int32(aadCount)) == 1
            && (count == 0 || EVP_EncryptUpdate(encryptContext, data, &n, data, Int32(count)) == 1)
            && withUnsafeMutableBytes(of: &scratch, { EVP_EncryptFinal_ex(encryptContext, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), &n) }) == 1
            && mr_gcm_get_tag(encryptContext, tag, 16) == 1
    }

    /// GCM open in place; false when the tag does not verify.
    func open(iv: UnsafePointer<UInt8>, aad: UnsafePointer<UInt8>, aadCount: Int, _ data: UnsafeMutablePointer<UInt8>, count: Int,
              tag: UnsafeMutablePointer<UInt8>) -> Bool {
        guard let ctx = decryptContext else { return false }
        var n: Int32 = 0
        var scratch = [UInt8](repeating: 0, count: 16)
        return EVP_DecryptInit_ex(ctx, nil, nil, nil, iv) == 1
            && EVP_DecryptUpdate(ctx, nil, &n, aad, Int32(aadCount)) == 1
            && (count == 0 || EVP_DecryptUpdate(ctx, data, &n, data, Int32(count)) == 1)
            && mr_gcm_set_tag(ctx, tag, 16) == 1
            && EVP_DecryptFinal_ex(ctx, &scratch, &n) == 1
    }
}
