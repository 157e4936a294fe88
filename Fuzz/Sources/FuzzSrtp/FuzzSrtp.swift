@testable import WebRtcProtocol

/// SRTP and SRTCP with fixed keys, as the WebRTC plugin unprotects what arrives on its port. The first byte
/// picks the profile (AES-CM + HMAC-SHA1-80, or AES-128-GCM keyed as RFC 7714's vectors, whose SRTP and SRTCP
/// packets are seeds that authenticate), RTP or RTCP, and the mode; the rest is packets, each led by a
/// two-byte length, through one receiving context (so ROC estimation and the replay window see sequences):
/// - raw: arbitrary bytes unprotected. Checked: a packet is accepted only when it is exactly what protecting
///   its plaintext gives (no forgery, no truncated tag accepted);
/// - round trip: each packet protected by a sender then unprotected by the receiver. Checked: the plaintext
///   comes back unchanged unless the receiver calls it a replay, and the protected packet with one bit
///   flipped is rejected.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSrtp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let gcm = mode & 1 != 0, rtcp = mode & 2 != 0, roundTrip = mode & 4 != 0
    let receiver = context(gcm), sender = context(gcm)
    var rest = bytes.dropFirst()
    while rest.count >= 2 {
        let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
        let packet = Array(rest.dropFirst(2).prefix(length))
        rest = rest.dropFirst(2 + length)
        if roundTrip {
            roundTripOne(packet, rtcp: rtcp, gcm: gcm, sender: sender, receiver: receiver)
        } else {
            rawOne(packet, rtcp: rtcp, gcm: gcm, receiver: receiver)
        }
    }
    return 0
}

private func rawOne(_ packet: [UInt8], rtcp: Bool, gcm: Bool, receiver: SrtpContext) {
    var plain = packet
    do {
        if rtcp { try receiver.unprotectRtcp(&plain) } else { try receiver.unprotectRtp(&plain) }
    } catch {
        return
    }
    // Accepted: it must be the genuine protection of what came out.
    var again = plain
    let fresh = context(gcm)
    if rtcp {
        let eIndex = SrtpContext.u32(packet, gcm ? packet.count - 4 : packet.count - fresh.profile.tagLength - 4)
        // An unencrypted SRTCP packet (E = 0) is authenticated only; we never send one to compare with.
        guard eIndex & 0x8000_0000 != 0 else { return }
        try? fresh.sealRtcp(&again, ssrc: SrtpContext.u32(packet, 4), index: eIndex & 0x7FFF_FFFF)
    } else {
        // The receiver's first packet of an SSRC has ROC 0, as a fresh sender's.
        try? fresh.protectRtp(&again)
    }
    guard again == packet else { fatalError("unprotect accepted a packet that is not the protection of its plaintext: \(packet)") }
}

private func roundTripOne(_ packet: [UInt8], rtcp: Bool, gcm: Bool, sender: SrtpContext, receiver: SrtpContext) {
    var protected = packet
    do {
        if rtcp { try sender.protectRtcp(&protected) } else { try sender.protectRtp(&protected) }
    } catch {
        return
    }
    var plain = protected
    do {
        if rtcp { try receiver.unprotectRtcp(&plain) } else { try receiver.unprotectRtp(&plain) }
        guard plain == packet else { fatalError("round trip changed the packet: \(packet) -> \(plain)") }
    } catch .replayed, .tooOld {
        // The sender reused a sequence number or SRTCP index the receiver already took.
    } catch {
        fatalError("a packet we protected was refused (\(error)): \(packet)")
    }
    var tampered = protected
    let at = Int(packet.last ?? 0) * 7 % tampered.count
    let bit = (packet.first ?? 0) & 7
    tampered[at] ^= 1 << bit
    let fresh = context(gcm)
    do {
        if rtcp { try fresh.unprotectRtcp(&tampered) } else { try fresh.unprotectRtp(&tampered) }
        fatalError("a packet with bit \(bit) of byte \(at) flipped was accepted")
    } catch {
    }
}

/// RFC 3711 B.3's master key and salt for AES-CM; RFC 7714's session key and salt for GCM.
private func context(_ gcm: Bool) -> SrtpContext {
    let c = gcm
        ? SrtpContext(gcmSessionKey: (0..<16).map { UInt8($0) }, salt: Array("Quid pro quo".utf8))
        : SrtpContext(profile: .aes128CmHmacSha1_80, master: SrtpMasterKey(
            key: [0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0, 0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39],
            salt: [0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6]))
    guard let c else { fatalError("no SRTP context") }
    return c
}
