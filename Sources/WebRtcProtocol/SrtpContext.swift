/// SRTP and SRTCP for one direction's master key (RFC 3711, RFC 7714): a session holds one for what it sends
/// (the local write key) and one for what it receives. Tracks the rollover counter per SSRC both ways
/// (RFC 3711 3.3.1, Appendix A) and a replay window per SSRC for what it receives. One loop owns it.
public final class SrtpContext {
    public let profile: SrtpProfile
    private let rtp: SrtpCipher
    private let rtcp: SrtpCipher
    private var outbound: [UInt32: (roc: UInt32, lastSequence: UInt16)] = [:]
    private var inbound: [UInt32: (roc: UInt32, highestSequence: UInt16, window: SrtpReplayWindow)] = [:]
    private var rtcpOutboundIndex: [UInt32: UInt32] = [:]
    private var rtcpInbound: [UInt32: SrtpReplayWindow] = [:]

    public init?(profile: SrtpProfile, master: SrtpMasterKey) {
        guard let rtp = SrtpCipher(profile: profile, master: master, rtcp: false),
              let rtcp = SrtpCipher(profile: profile, master: master, rtcp: true) else { return nil }
        self.profile = profile
        self.rtp = rtp
        self.rtcp = rtcp
    }

    /// For the RFC 7714 vectors, which give session keys.
    init?(gcmSessionKey key: [UInt8], salt: [UInt8]) {
        guard let rtp = SrtpCipher(gcmSessionKey: key, salt: salt), let rtcp = SrtpCipher(gcmSessionKey: key, salt: salt) else { return nil }
        profile = .aeadAes128Gcm
        self.rtp = rtp
        self.rtcp = rtcp
    }

    /// Bytes `protectRtp` appends.
    public var rtpOverhead: Int { profile.tagLength }
    public var rtcpOverhead: Int { profile.tagLength + 4 }

    // MARK: SRTP

    /// Encrypts and authenticates an RTP packet in place (the tag is appended).
    public func protectRtp(_ packet: inout [UInt8]) throws(SrtpError) {
        guard let header = Self.rtpHeaderLength(packet[...]) else { throw .malformed }
        let ssrc = Self.u32(packet, 8), seq = UInt16(packet[2]) << 8 | UInt16(packet[3])
        var state = outbound[ssrc] ?? (0, seq)
        // The same estimate as a receiver makes: a NACK retransmission of a packet sent before a wrap keeps
        // its old ROC, and only a new packet past the wrap advances it.
        let roc = Self.estimateRoc(roc: state.roc, highest: state.lastSequence, seq: seq)
        if roc == state.roc &+ 1 || (roc == state.roc && seq > state.lastSequence) { state = (roc, seq) }
        outbound[ssrc] = state
        try seal(&packet, header: header, ssrc: ssrc, roc: roc, seq: seq)
    }

    /// Authenticates, checks replay and decrypts an SRTP packet in place (the tag is removed).
    public func unprotectRtp(_ packet: inout [UInt8]) throws(SrtpError) {
        guard let header = Self.rtpHeaderLength(packet[...]), packet.count >= header + profile.tagLength else { throw .malformed }
        let ssrc = Self.u32(packet, 8), seq = UInt16(packet[2]) << 8 | UInt16(packet[3])
        var state = inbound[ssrc] ?? (0, seq, SrtpReplayWindow())
        let roc = Self.estimateRoc(roc: state.roc, highest: state.highestSequence, seq: seq)
        let index = UInt64(roc) << 16 | UInt64(seq)
        if let e = state.window.check(index) { throw e }
        try open(&packet, header: header, ssrc: ssrc, roc: roc, seq: seq)
        state.window.record(index)
        if roc == state.roc &+ 1 || (roc == state.roc && seq > state.highestSequence) {
            state.roc = roc
            state.highestSequence = seq
        }
        inbound[ssrc] = state
    }

    /// RFC 3711 Appendix A: the index closest to the highest one seen.
    static func estimateRoc(roc: UInt32, highest: UInt16, seq: UInt16) -> UInt32 {
        if highest < 0x8000 {
            return seq > highest && seq - highest > 0x8000 ? roc &- 1 : roc
        }
        return highest - 0x8000 > seq ? roc &+ 1 : roc
    }

    private func seal(_ packet: inout [UInt8], header: Int, ssrc: UInt32, roc: UInt32, seq: UInt16) throws(SrtpError) {
        let payload = packet.count - header
        packet.append(contentsOf: repeatElement(0, count: profile.tagLength))
        let ok: Bool = packet.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return false }
            switch profile {
            case .aes128CmHmacSha1_80:
                let iv = Self.counterIv(salt: rtp.salt, ssrc: ssrc, index: UInt64(roc) << 16 | UInt64(seq))
                return rtp.counterMode(iv: iv, base + header, count: payload)
                    && rtp.authenticate(base, count: header + payload, trailer: bigEndian(UInt64(roc), bytes: 4), tag: base + header + payload)
            case .aeadAes128Gcm:
                let iv = Self.gcmIv(salt: rtp.salt, ssrc: ssrc, index: UInt64(roc) << 16 | UInt64(seq))
                return rtp.seal(iv: iv, aad: base, aadCount: header, base + header, count: payload, tag: base + header + payload)
            }
        }
        guard ok else { throw .cryptoFailure }
    }

    private func open(_ packet: inout [UInt8], header: Int, ssrc: UInt32, roc: UInt32, seq: UInt16) throws(SrtpError) {
        let tagLength = profile.tagLength
        let payload = packet.count - header - tagLength
        let ok: Bool = packet.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return false }
            switch profile {
            case .aes128CmHmacSha1_80:
                var expected = [UInt8](repeating: 0, count: tagLength)
                guard rtp.authenticate(base, count: header + payload, trailer: bigEndian(UInt64(roc), bytes: 4), tag: &expected),
                      HmacSha1.constantTimeEqual(expected[...], buf[(header + payload)...]) else { return false }
                let iv = Self.counterIv(salt: rtp.salt, ssrc: ssrc, index: UInt64(roc) << 16 | UInt64(seq))
                return rtp.counterMode(iv: iv, base + header, count: payload)
            case .aeadAes128Gcm:
                let iv = Self.gcmIv(salt: rtp.salt, ssrc: ssrc, index: UInt64(roc) << 16 | UInt64(seq))
                return rtp.open(iv: iv, aad: base, aadCount: header, base + header, count: payload, tag: base + header + payload)
            }
        }
        guard ok else { throw .authenticationFailed }
        packet.removeLast(tagLength)
    }

    // MARK: SRTCP (RFC 3711 3.4; RFC 7714 9, 17)

    /// Encrypts and authenticates a compound RTCP packet in place, appending E||index and the tag.
    public func protectRtcp(_ packet: inout [UInt8]) throws(SrtpError) {
        guard packet.count >= 8 else { throw .malformed }
        let ssrc = Self.u32(packet, 4)
        let index = rtcpOutboundIndex[ssrc] ?? 0
        rtcpOutboundIndex[ssrc] = (index &+ 1) & 0x7FFF_FFFF
        try sealRtcp(&packet, ssrc: ssrc, index: index)
    }

    func sealRtcp(_ packet: inout [UInt8], ssrc: UInt32, index: UInt32) throws(SrtpError) {
        let eIndex = bigEndian(UInt64(0x8000_0000 | index), bytes: 4)
        let body = packet.count - 8
        let ok: Bool
        switch profile {
        case .aes128CmHmacSha1_80:
            packet += eIndex + [UInt8](repeating: 0, count: profile.tagLength)
            ok = packet.withUnsafeMutableBufferPointer { buf in
                guard let base = buf.baseAddress else { return false }
                let iv = Self.counterIv(salt: rtcp.salt, ssrc: ssrc, index: UInt64(index))
                return rtcp.counterMode(iv: iv, base + 8, count: body)
                    && rtcp.authenticate(base, count: 8 + body + 4, trailer: [], tag: base + 8 + body + 4)
            }
        case .aeadAes128Gcm:
            // RFC 7714 9.1: ciphertext, tag, then E||index; the AAD is the first 8 bytes and E||index.
            packet += [UInt8](repeating: 0, count: 16) + eIndex
            ok = packet.withUnsafeMutableBufferPointer { buf in
                guard let base = buf.baseAddress else { return false }
                let aad = Array(buf[0..<8]) + eIndex
                let iv = Self.gcmIv(salt: rtcp.salt, ssrc: ssrc, index: UInt64(index))
                return rtcp.seal(iv: iv, aad: aad, aadCount: 12, base + 8, count: body, tag: base + 8 + body)
            }
        }
        guard ok else { throw .cryptoFailure }
    }

    /// Authenticates, checks replay and decrypts an SRTCP packet in place.
    public func unprotectRtcp(_ packet: inout [UInt8]) throws(SrtpError) {
        let tagLength = profile.tagLength
        guard packet.count >= 8 + 4 + tagLength else { throw .malformed }
        let ssrc = Self.u32(packet, 4)
        let eOffset = profile == .aeadAes128Gcm ? packet.count - 4 : packet.count - tagLength - 4
        let eIndex = Self.u32(packet, eOffset)
        let index = eIndex & 0x7FFF_FFFF
        let encrypted = eIndex & 0x8000_0000 != 0
        var window = rtcpInbound[ssrc] ?? SrtpReplayWindow()
        if let e = window.check(UInt64(index)) { throw e }
        let body = packet.count - 8 - 4 - tagLength
        let ok: Bool = packet.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return false }
            switch profile {
            case .aes128CmHmacSha1_80:
                var expected = [UInt8](repeating: 0, count: tagLength)
                guard rtcp.authenticate(base, count: 8 + body + 4, trailer: [], tag: &expected),
                      HmacSha1.constantTimeEqual(expected[...], buf[(8 + body + 4)...]) else { return false }
                let iv = Self.counterIv(salt: rtcp.salt, ssrc: ssrc, index: UInt64(index))
                return !encrypted || rtcp.counterMode(iv: iv, base + 8, count: body)
            case .aeadAes128Gcm:
                let aad = Array(buf[0..<8]) + Array(buf[eOffset..<(eOffset + 4)])
                let iv = Self.gcmIv(salt: rtcp.salt, ssrc: ssrc, index: UInt64(index))
                // Unencrypted SRTCP under GCM authenticates the body as AAD (RFC 7714 9.3); WebRTC always encrypts.
                guard encrypted else { return false }
                return rtcp.open(iv: iv, aad: aad, aadCount: 12, base + 8, count: body, tag: base + 8 + body)
            }
        }
        guard ok else { throw .authenticationFailed }
        window.record(UInt64(index))
        rtcpInbound[ssrc] = window
        packet.removeLast(4 + tagLength)
    }

    // MARK: Helpers

    /// RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
    static func counterIv(salt: [UInt8], ssrc: UInt32, index: UInt64) -> [UInt8] {
        var iv = salt + [0, 0]
        for i in 0..<4 { iv[4 + i] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * UInt32(i))) }
        for i in 0..<6 { iv[8 + i] ^= UInt8(truncatingIfNeeded: index >> (40 - 8 * UInt64(i))) }
        return iv
    }

    /// RFC 7714 8.1 / 9.1: IV = (00 00 || SSRC || 48-bit index) XOR salt, where the SRTP index is ROC || SEQ
    /// and the SRTCP one is 0 (16 bits) || 0 (1 bit) || the 31-bit SRTCP index.
    static func gcmIv(salt: [UInt8], ssrc: UInt32, index: UInt64) -> [UInt8] {
        var iv = [UInt8](repeating: 0, count: 12)
        for i in 0..<4 { iv[2 + i] = UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * UInt32(i))) }
        for i in 0..<6 { iv[6 + i] = UInt8(truncatingIfNeeded: index >> (40 - 8 * UInt64(i))) }
        for i in 0..<12 { iv[i] ^= salt[i] }
        return iv
    }

    /// 12 + CSRCs + extension, or nil when the packet is shorter than its header says (RFC 3550 5.1, 5.3.1).
    static func rtpHeaderLength(_ p: ArraySlice<UInt8>) -> Int? {
        guard p.count >= 12 else { return nil }
        let s = p.startIndex
        guard p[s] >> 6 == 2 else { return nil }
        var length = 12 + Int(p[s] & 0x0F) * 4
        if p[s] & 0x10 != 0 {
            guard p.count >= length + 4 else { return nil }
            length += 4 + (Int(p[s + length + 2]) << 8 | Int(p[s + length + 3])) * 4
        }
        return p.count >= length ? length : nil
    }

    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
