import COpenSSLTLS

/// Where a DTLS association stands.
public enum DtlsState: Sendable, Equatable {
    case handshaking
    /// Handshake done and the peer's certificate matched the SDP fingerprint; SRTP keys are ready.
    case connected(SrtpProfile)
    case failed(String)
    /// The peer sent close_notify.
    case closed
}

/// SRTP master keys from the DTLS exporter (RFC 5764 4.2): ours for what we send, the peer's for what we receive.
public struct DtlsSrtpKeys: Sendable, Equatable {
    public var profile: SrtpProfile
    public var local: SrtpMasterKey
    public var remote: SrtpMasterKey
}

/// One DTLS 1.2 association over memory BIOs (RFC 6347, DTLS-SRTP RFC 5764), sans socket: datagrams go in
/// through `handle` and come out as return values. OpenSSL keeps the retransmission timer on its own clock;
/// `retransmitDelayMicros` and `handleTimeout` expose it to the loop's timers. One loop owns it.
public final class DtlsEndpoint {
    public private(set) var state: DtlsState = .handshaking
    public private(set) var srtpKeys: DtlsSrtpKeys?
    public let isClient: Bool
    private let ctx: OpaquePointer
    private let ssl: OpaquePointer
    private let readBio: OpaquePointer
    private let writeBio: OpaquePointer
    private let remoteFingerprint: SdpFingerprint
    private let mtu: Int

    /// `profiles` in preference order; the server picks from the client's list by it (GCM first: RFC 7714
    /// costs one pass, and browsers offer it).
    public init?(certificate: DtlsCertificate, client: Bool, remoteFingerprint: SdpFingerprint,
                 profiles: [SrtpProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80], mtu: Int = 1200) {
        guard let ctx = SSL_CTX_new(DTLS_method()) else { return nil }
        let names = profiles.map(\.openSslName).joined(separator: ":")
        // SSL_CTX_set_tlsext_use_srtp returns 0 on success.
        guard mr_ssl_ctx_set_min_dtls12(ctx) == 1, SSL_CTX_use_certificate(ctx, certificate.certificate) == 1,
              SSL_CTX_use_PrivateKey(ctx, certificate.key) == 1, SSL_CTX_check_private_key(ctx) == 1,
              SSL_CTX_set_tlsext_use_srtp(ctx, names) == 0,
              SSL_CTX_set_cipher_list(ctx, Self.ciphers) == 1,
              mr_ssl_ctx_set1_groups_list(ctx, Self.groups) == 1
        else {
            SSL_CTX_free(ctx)
            return nil
        }
        // Before SSL_new, which copies the verify mode and callback.
        mr_ssl_ctx_verify_peer_by_fingerprint(ctx)
        guard let ssl = SSL_new(ctx) else {
            SSL_CTX_free(ctx)
            return nil
        }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            SSL_CTX_free(ctx)
            return nil
        }
        // An empty read BIO means "wait for the next datagram", not end of stream.
        _ = mr_bio_set_mem_eof_return(rbio, -1)
        SSL_set_bio(ssl, rbio, wbio)
        _ = mr_ssl_set_mtu(ssl, mtu)
        if client { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
        self.ctx = ctx
        self.ssl = ssl
        self.readBio = rbio
        self.writeBio = wbio
        self.isClient = client
        self.remoteFingerprint = remoteFingerprint
        self.mtu = mtu
    }

    /// OpenSSL's defaults plus P-224 last: a DTLS 1.2 client refuses a server certificate on a curve outside
    /// its list, and FFmpeg's WHIP muxer on GnuTLS (PyAV's wheels) makes a P-224 one (GnuTLS's "medium" size).
    static let groups = "X25519:P-256:X448:P-521:P-384:P-224"

    /// ECDSA suites for our P-256 certificate; RSA ones stay for a client configured with an RSA certificate.
    static let ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
        + "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA"

    deinit {
        SSL_free(ssl)   // frees both BIOs
        SSL_CTX_free(ctx)
    }

    /// The client's first flight (ClientHello); nothing for a server, which waits for it.
    public func start() -> [[UInt8]] {
        guard isClient else { return [] }
        return advance()
    }

    /// Feeds one datagram (RFC 7983: first byte 20...63); returns datagrams to send back and any application
    /// data (SCTP for data channels, part 2).
    public func handle(_ datagram: ArraySlice<UInt8>) -> (send: [[UInt8]], applicationData: [[UInt8]]) {
        guard !datagram.isEmpty, datagram.count <= 65_536 else { return ([], []) }
        switch state {
        case .failed, .closed: return ([], [])
        default: break
        }
        _ = datagram.withUnsafeBufferPointer { BIO_write(readBio, $0.baseAddress, Int32($0.count)) }
        var send = advance()
        var data: [[UInt8]] = []
        if case .connected = state {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let n = SSL_read(ssl, &buffer, Int32(buffer.count))
                if n > 0 { data.append(Array(buffer.prefix(Int(n)))); continue }
                if SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN { state = .closed }
                break
            }
            send += drain()
        }
        return (send, data)
    }

    /// Microseconds until OpenSSL wants `handleTimeout` (a lost flight), or nil with no timer running.
    public func retransmitDelayMicros() -> Int? {
        let t = mr_dtls_get_timeout_us(ssl)
        return t < 0 ? nil : t
    }

    /// Retransmits the last flight when its timer expired.
    public func handleTimeout() -> [[UInt8]] {
        guard state == .handshaking else { return [] }
        _ = mr_dtls_handle_timeout(ssl)
        return drain()
    }

    /// Application data out (data channels later); empty before the handshake completes.
    public func write(_ data: [UInt8]) -> [[UInt8]] {
        guard case .connected = state, !data.isEmpty else { return [] }
        _ = data.withUnsafeBufferPointer { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        return drain()
    }

    /// close_notify for the peer.
    public func close() -> [[UInt8]] {
        guard case .connected = state else { return [] }
        SSL_shutdown(ssl)
        state = .closed
        return drain()
    }

    private func advance() -> [[UInt8]] {
        guard state == .handshaking else { return [] }
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            finishHandshake()
        } else {
            let e = SSL_get_error(ssl, r)
            if e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE {
                state = .failed("DTLS handshake failed: " + Self.lastError())
            }
        }
        return drain()
    }

    /// RFC 8842 5 / RFC 8827 6.5: the certificate must match the fingerprint in the SDP; RFC 5764 4.2: the keys
    /// come from the exporter as client key, server key, client salt, server salt.
    private func finishHandshake() {
        guard let peer = SSL_get1_peer_certificate(ssl) else { state = .failed("DTLS peer sent no certificate"); return }
        defer { X509_free(peer) }
        guard let digest = DtlsCertificate.digest(of: peer, hashFunction: remoteFingerprint.hashFunction),
              HmacSha1.constantTimeEqual(digest, remoteFingerprint.digest) else {
            state = .failed("DTLS peer certificate does not match the SDP fingerprint")
            return
        }
        guard let profile = SrtpProfile(dtlsId: UInt16(truncatingIfNeeded: mr_ssl_selected_srtp_profile(ssl))) else {
            state = .failed("DTLS peer negotiated no supported SRTP profile")
            return
        }
        let k = profile.keyLength, s = profile.saltLength
        var material = [UInt8](repeating: 0, count: 2 * (k + s))
        let label = "EXTRACTOR-dtls_srtp"
        guard SSL_export_keying_material(ssl, &material, material.count, label, label.utf8.count, nil, 0, 0) == 1 else {
            state = .failed("DTLS keying material export failed")
            return
        }
        let client = SrtpMasterKey(key: Array(material[0..<k]), salt: Array(material[(2 * k)..<(2 * k + s)]))
        let server = SrtpMasterKey(key: Array(material[k..<(2 * k)]), salt: Array(material[(2 * k + s)..<(2 * k + 2 * s)]))
        srtpKeys = DtlsSrtpKeys(profile: profile, local: isClient ? client : server, remote: isClient ? server : client)
        state = .connected(profile)
    }

    private func drain() -> [[UInt8]] {
        let pending = Int(mr_bio_pending(writeBio))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let n = BIO_read(writeBio, &bytes, Int32(pending))
        guard n > 0 else { return [] }
        return DtlsRecords.datagrams(Array(bytes.prefix(Int(n))), mtu: mtu)
    }

    private static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "protocol error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        ERR_clear_error()
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
