import COpenSSL

/// The SRTP key derivation function (RFC 3711 4.3.1 with key_derivation_rate 0, which RFC 5764 and RFC 7714
/// use): AES-CM keyed by the master key over the IV (label || 0) XOR master salt, shifted left 16 bits.
enum SrtpKeyDerivation {
    enum Label: UInt8 {
        case rtpEncryption = 0, rtpAuthentication = 1, rtpSalt = 2
        case rtcpEncryption = 3, rtcpAuthentication = 4, rtcpSalt = 5
    }

    static func derive(_ master: SrtpMasterKey, label: Label, length: Int) -> [UInt8]? {
        guard master.key.count == 16, (12...14).contains(master.salt.count) else { return nil }
        var iv = [UInt8](repeating: 0, count: 16)
        for (i, b) in master.salt.enumerated() { iv[i] = b }
        // The 8-bit label sits 7 bytes before the end of the 112-bit salt (key_id = label || 48-bit index).
        iv[7] ^= label.rawValue
        return AesCounterMode.keystream(key: master.key, iv: iv, length: length)
    }
}

/// AES-128 in counter mode as a keystream generator, for key derivation and the RFC 3711 B.2 vector.
enum AesCounterMode {
    static func keystream(key: [UInt8], iv: [UInt8], length: Int) -> [UInt8]? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nil, key, iv) == 1 else { return nil }
        let zeros = [UInt8](repeating: 0, count: length)
        var out = [UInt8](repeating: 0, count: length + 16)
        var outLength: Int32 = 0
        guard EVP_EncryptUpdate(ctx, &out, &outLength, zeros, Int32(length)) == 1 else { return nil }
        return Array(out.prefix(length))
    }
}
