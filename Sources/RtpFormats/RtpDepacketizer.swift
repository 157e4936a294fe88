import MediaFormats

/// One unit rebuilt from RTP, in the bus format: length-prefixed NAL units for H.264/H.265, one frame for VP8/VP9 and audio,
/// a low-overhead temporal unit (OBUs with sizes) for AV1.
public struct RtpAccessUnit: Sendable, Equatable {
    /// RTP timestamp of the unit.
    public var timestamp: UInt32
    /// Video: an IDR (H.264) or IRAP (H.265) picture is present, or a VP8 key frame. Audio: always true.
    public var key: Bool
    public var data: [UInt8]

    public init(timestamp: UInt32, key: Bool, data: [UInt8]) {
        self.timestamp = timestamp
        self.key = key
        self.data = data
    }
}

/// Rebuilds access units from RTP packets of one track, in sequence order (a jitter buffer reorders before this).
public protocol RtpDepacketizer: Sendable {
    /// Feeds one packet; returns the units it completed (usually 0 or 1; AAC may give several).
    mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit]
    /// Signals a sequence gap (loss): drop any partially assembled unit.
    mutating func lost()
    /// Parameter sets seen in-band since the last call (video), for updating the track's config; empty if none new.
    mutating func takeParameterSets() -> [[UInt8]]
}

public enum RtpDepacketizers {
    /// The depacketizer for a codec. AAC is RFC 3640 mpeg4-generic (AAC-hbr) unless `latmStreamMuxConfig` (the SDP
    /// `config=` of MP4A-LATM, as bytes) is given. Nil for a codec without an RTP mapping here or an unusable config.
    public static func make(codec: Codec, clockRate: Int, channels: Int, latmStreamMuxConfig: [UInt8]? = nil) -> (any RtpDepacketizer)? {
        switch codec {
        case .h264:
            return H264RtpDepacketizer()
        case .h265:
            return H265RtpDepacketizer()
        case .aac:
            if let bytes = latmStreamMuxConfig {
                guard let config = LatmStreamMuxConfig(bytes) else { return nil }
                return LatmRtpDepacketizer(config: config, clockRate: clockRate)
            }
            return AacRtpDepacketizer()
        case .pcma, .pcmu:
            return G711RtpDepacketizer()
        case .opus:
            return OpusRtpDepacketizer()
        case .vp8:
            return Vp8RtpDepacketizer()
        case .vp9:
            return Vp9RtpDepacketizer()
        case .av1:
            return Av1RtpDepacketizer()
        default:
            // MP3...: no RTP payload format here yet.
            return nil
        }
    }
}
