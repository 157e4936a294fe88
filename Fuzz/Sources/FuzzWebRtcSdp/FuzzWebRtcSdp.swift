@testable import WebRtcProtocol

/// A WHIP or WHEP offer as the signalling endpoint receives it: parsed under the default limits, every media
/// accessor the plugin uses read, then answered as the receiving (WHIP) and the sending (WHEP) server, which
/// runs codec selection (H.264 profile-level-id, RTX apt, static payload types), feedback and extmap
/// negotiation. Checked: every answer we build parses with our own parser and keeps the BUNDLE it announces.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebRtcSdp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let offer = try? SdpSession(parsing: text) else { return 0 }
    _ = (offer.bundleMids, offer.iceLite, offer.iceOptions)
    for m in offer.media {
        _ = (offer.iceUfrag(of: m), offer.icePassword(of: m), offer.fingerprints(of: m), offer.setup(of: m))
        _ = m.sendSsrcs.map { m.cname(for: $0.primary) }
        for pt in m.payloadTypes {
            _ = m.feedback(for: pt)
            _ = H264ProfileLevelId.parse(fmtp: m.formatParameters[pt])
            _ = SdpCodecSelection.rtx(m, for: pt)
        }
        _ = m.candidates.compactMap { $0.split(separator: " ").dropFirst(4).first.flatMap { IpAddress(String($0)) } }
    }
    for role in [SdpAnswerOptions.Role.receive, .send] {
        guard let answer = try? SdpAnswerBuilder.answer(offer, options: options(role)) else { continue }
        guard let parsed = try? SdpSession(parsing: answer.sdp) else { fatalError("our answer does not parse:\n\(answer.sdp)") }
        guard parsed.bundleMids == answer.media.map(\.mid) else { fatalError("answer BUNDLE \(parsed.bundleMids ?? []) for \(answer.media.map(\.mid))") }
    }
    return 0
}

private func options(_ role: SdpAnswerOptions.Role) -> SdpAnswerOptions {
    var o = SdpAnswerOptions(role: role, credentials: IceCredentials(ufrag: "abcd1234", password: "0123456789abcdefghijklmn"),
                             fingerprint: SdpFingerprint(hashFunction: "sha-256", digest: [UInt8](repeating: 0xAB, count: 32)),
                             candidates: [TransportAddress(ip: IpAddress(v4: 192, 0, 2, 1), port: 8000)])
    o.sendSsrcs = ["audio": (1111, 1112), "video": (2222, 2223)]
    return o
}
