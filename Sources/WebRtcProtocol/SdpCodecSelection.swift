/// A codec the answerer can take, by encoding name (case-insensitive, as RFC 8866 6.6 says).
public struct SdpCodecPreference: Sendable, Equatable {
    public var encoding: String
    public var clockRate: UInt32
    /// For H.264: the profile of the stream we will send (a player) so its payload type matches; nil when
    /// receiving (any packetization-mode=1 profile, in the order below).
    public var h264Profile: H264ProfileLevelId.Profile?
    /// For H.265 (general_profile_idc), VP9 and AV1 (their profile): the stream we will send, matched against
    /// `profile-id` (`profile` for AV1).
    public var profileId: Int?

    public init(encoding: String, clockRate: UInt32, h264Profile: H264ProfileLevelId.Profile? = nil, profileId: Int? = nil) {
        self.encoding = encoding
        self.clockRate = clockRate
        self.h264Profile = h264Profile
        self.profileId = profileId
    }

    public static let h264 = SdpCodecPreference(encoding: "H264", clockRate: 90_000)
    public static let h265 = SdpCodecPreference(encoding: "H265", clockRate: 90_000)
    public static let vp8 = SdpCodecPreference(encoding: "VP8", clockRate: 90_000)
    public static let vp9 = SdpCodecPreference(encoding: "VP9", clockRate: 90_000)
    public static let av1 = SdpCodecPreference(encoding: "AV1", clockRate: 90_000)
    public static let opus = SdpCodecPreference(encoding: "opus", clockRate: 48_000)
    public static let pcma = SdpCodecPreference(encoding: "PCMA", clockRate: 8_000)
    public static let pcmu = SdpCodecPreference(encoding: "PCMU", clockRate: 8_000)
}

/// Picks the payload type of an offered media section for the first preference it has.
enum SdpCodecSelection {
    /// RFC 3551 static payload types, valid without an rtpmap.
    static let staticMaps: [UInt8: SdpRtpMap] = [
        0: SdpRtpMap(encoding: "PCMU", clockRate: 8_000, channels: 1), 8: SdpRtpMap(encoding: "PCMA", clockRate: 8_000, channels: 1),
    ]

    static func rtpMap(_ m: SdpMediaDescription, _ pt: UInt8) -> SdpRtpMap? { m.rtpMaps[pt] ?? staticMaps[pt] }

    /// Browsers decode any profile they list, but they pick the decoder by the payload type's profile, and
    /// Safari-class clients only decode what they announced: match the source's profile first, then fall back
    /// to constrained baseline (every WebRTC H.264 endpoint has it, RFC 7742 6.2), baseline, main, high.
    static let h264Order: [H264ProfileLevelId.Profile] = [.constrainedBaseline, .baseline, .main, .constrainedHigh, .high]

    static func select(_ m: SdpMediaDescription, preferences: [SdpCodecPreference]) -> (UInt8, SdpRtpMap)? {
        let offered = m.payloadTypes.compactMap { pt in rtpMap(m, pt).map { (pt, $0) } }
        for pref in preferences {
            let matching = offered.filter { $0.1.encoding.lowercased() == pref.encoding.lowercased() && $0.1.clockRate == pref.clockRate }
            guard !matching.isEmpty else { continue }
            if pref.encoding.lowercased() == "h265" {
                guard let hit = h265(m, matching, profileId: pref.profileId) else { continue }
                return hit
            }
            // RFC 9628 6 (profile-id) and the AV1 payload format 7.2 (profile): both default to 0; a player decodes
            // the profile its payload type names.
            if let key = ["vp9": "profile-id", "av1": "profile"][pref.encoding.lowercased()] {
                let profile = pref.profileId ?? 0
                if let hit = matching.first(where: { Int(sdpFormatParameters(m.formatParameters[$0.0] ?? "").first { $0.key == key }?.value ?? "0") == profile }) {
                    return hit
                }
                if pref.profileId == nil { return matching[0] }
                continue
            }
            guard pref.encoding.lowercased() == "h264" else { return matching[0] }
            // RFC 7742 6.2: packetization-mode=1 is what WebRTC sends (FU-A, STAP-A); mode 0 cannot carry big NAL units.
            let usable = matching.map { ($0, H264ProfileLevelId.parse(fmtp: m.formatParameters[$0.0])) }.filter { $0.1.packetizationMode == 1 }
            let order = pref.h264Profile.map { p in [p] + h264Order.filter { $0 != p } } ?? h264Order
            for profile in order {
                if let hit = usable.first(where: { $0.1.profile.profile == profile }) { return hit.0 }
            }
        }
        return nil
    }

    /// RFC 7798 7.1: only single-session transmission (tx-mode SRST, the default) is sent here; among those,
    /// the payload type of the source's profile (profile-id defaults to 1, Main), else the first: a Main 10
    /// decoder also decodes Main, and a browser picks its decoder by what the stream says.
    static func h265(_ m: SdpMediaDescription, _ matching: [(UInt8, SdpRtpMap)], profileId: Int?) -> (UInt8, SdpRtpMap)? {
        let usable = matching.map { ($0, sdpFormatParameters(m.formatParameters[$0.0] ?? "")) }.filter { p in
            (p.1.first { $0.key == "tx-mode" }?.value ?? "SRST").uppercased() == "SRST"
        }
        guard let profileId else { return usable.first?.0 }
        return (usable.first { p in Int(p.1.first { $0.key == "profile-id" }?.value ?? "1") == profileId } ?? usable.first)?.0
    }

    /// The offered RTX payload type whose apt names `pt` (RFC 4588 8.1).
    static func rtx(_ m: SdpMediaDescription, for pt: UInt8) -> UInt8? {
        m.payloadTypes.first { r in
            guard rtpMap(m, r)?.encoding.lowercased() == "rtx" else { return false }
            return sdpFormatParameters(m.formatParameters[r] ?? "").contains { $0.key == "apt" && UInt8($0.value) == pt }
        }
    }
}
