import MediaFormats
import WebRtcProtocol

/// Which video codecs go between the bus and WebRTC peers, and what the answer and the packetizer need of a
/// source's config. Everything is forwarded as it is: a peer gets a codec only when it offered it.
enum WebrtcVideoCodecs {
    /// A player can get these when its offer has them.
    static let sendable: Set<Codec> = [.h264, .h265, .vp8, .vp9, .av1]

    /// What a publisher may send, best first: H.264 converts to every other protocol, H.265 to most, VP9 to
    /// Enhanced RTMP, AV1 and VP8 only to WebRTC players (aiortc and Chromium offer VP8 first; the answer takes
    /// H.264 when both have it).
    static let receivable: [SdpCodecPreference] = [.h264, .h265, .vp9, .av1, .vp8]

    /// The answer's preference for a source track: its H.264 profile or H.265 profile-id, so the payload
    /// type the player decodes with describes the stream.
    static func preference(for codec: Codec, extradata: [UInt8]) -> [SdpCodecPreference] {
        switch codec {
        case .h264:
            let profile = extradata.count >= 4
                ? H264ProfileLevelId(profileIdc: extradata[1], profileIop: extradata[2], levelIdc: extradata[3]).profile : nil
            return [SdpCodecPreference(encoding: "H264", clockRate: 90_000, h264Profile: profile)]
        case .h265:
            // general_profile_idc: the low 5 bits of the record's first profile byte.
            let profileId = HEVCDecoderConfig(extradata[...]).flatMap { $0.profileBytes.first }.map { Int($0 & 0x1F) }
            return [SdpCodecPreference(encoding: "H265", clockRate: 90_000, profileId: profileId)]
        case .vp8:
            return [.vp8]
        case .vp9:
            // Profile 0 (8-bit 4:2:0), what every VP9 decoder takes and what the encoders send by default.
            return [.vp9]
        case .av1:
            // seq_profile from the av1C record (its second byte's top 3 bits); Main (0) without one.
            let profile = extradata.count >= 2 && extradata[0] == 0x81 ? Int(extradata[1] >> 5) : 0
            return [SdpCodecPreference(encoding: "AV1", clockRate: 90_000, profileId: profile)]
        default:
            return []
        }
    }

    /// Parameter sets put in front of a key frame that lacks them (an RTMP or MP4 source keeps them in its config).
    static func parameterSets(_ codec: Codec, extradata: [UInt8]) -> [[UInt8]] {
        switch codec {
        case .h264: AVCDecoderConfig(extradata[...]).map { $0.sps + $0.pps } ?? []
        case .h265: HEVCDecoderConfig(extradata[...]).map { $0.vps + $0.sps + $0.pps } ?? []
        default: []
        }
    }
}
