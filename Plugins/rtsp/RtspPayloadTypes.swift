import MediaFormats

/// The RTP payload type of each track of a played stream: static numbers for G.711, dynamic ones (96 + track
/// index) for the rest. The SDP and the "rtsp" ring use this one rule, so they always agree.
enum RtspPayloadTypes {
    static func payloadType(_ codec: Codec, track: Int) -> UInt8 {
        switch codec {
        case .pcmu: return 0
        case .pcma: return 8
        default: return UInt8(96 + min(track, 31))
        }
    }

    /// The RTP clock of a track: 90 kHz for video, 48 kHz for Opus (RFC 7587), else the sample rate.
    static func clockRate(_ codec: Codec, sampleRate: Int) -> Int {
        if codec.isVideo { return 90000 }
        if codec == .opus { return 48000 }
        return sampleRate > 0 ? sampleRate : 8000
    }

    /// Interleaved channels of a track (RTP, RTCP) in the shared ring packets; players that asked for
    /// other numbers get them rewritten.
    static func channel(track: Int) -> UInt8 { UInt8(truncatingIfNeeded: track * 2) }
}
