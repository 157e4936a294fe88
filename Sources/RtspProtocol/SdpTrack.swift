import MediaFormats

/// One media description of an SDP, reduced to what a depacketizer and the bus need.
public struct SdpTrack: Sendable, Equatable {
    /// Nil = unsupported: the track is listed so indices and counts match the SDP, but nothing should use it.
    public var codec: Codec?
    /// "video", "audio", "application"...
    public var mediaType: String
    public var payloadType: UInt8
    public var clockRate: Int
    /// Audio channels (1 when the rtpmap omits it); 0 for video.
    public var channels: Int
    /// The a=control value, absolute or relative (resolve with `RtspURL.resolve(control:base:)`).
    public var control: String?
    /// Codec config in the form the bus uses as extradata: H.264 avcC (from sprop-parameter-sets), H.265 hvcC
    /// (sprop-vps/sps/pps), AAC AudioSpecificConfig (mpeg4-generic `config=`); empty when unknown.
    public var config: [UInt8]
    /// For MP4A-LATM: the raw StreamMuxConfig bytes from `config=` (the RTP layer parses it).
    public var latmConfig: [UInt8]?
    /// Format parameters with lower-cased keys.
    public var fmtp: [String: String]
    /// Encoding name from the rtpmap, upper case ("H264", "MPEG4-GENERIC"), or the static payload type's name.
    public var encodingName: String
    /// The m= line's transport protocol, e.g. "RTP/AVP".
    public var proto: String

    public init(codec: Codec?, mediaType: String? = nil, payloadType: UInt8, clockRate: Int, channels: Int? = nil,
                control: String? = nil, config: [UInt8] = [], latmConfig: [UInt8]? = nil, fmtp: [String: String] = [:],
                encodingName: String? = nil, proto: String = "RTP/AVP") {
        self.codec = codec
        let media = mediaType ?? (codec.map { $0.isVideo ? "video" : "audio" } ?? "application")
        self.mediaType = media
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.channels = channels ?? (media == "audio" ? 1 : 0)
        self.control = control
        self.config = config
        self.latmConfig = latmConfig
        self.fmtp = fmtp
        self.encodingName = encodingName ?? codec.map(Self.encodingName) ?? ""
        self.proto = proto
    }

    /// The rtpmap encoding name this library writes for a codec.
    public static func encodingName(_ codec: Codec) -> String {
        switch codec {
        case .h264: return "H264"
        case .h265: return "H265"
        case .aac: return "MPEG4-GENERIC"
        case .pcma: return "PCMA"
        case .pcmu: return "PCMU"
        case .opus: return "OPUS"
        case .mp3: return "MPA"
        case .av1: return "AV1"
        case .vp9: return "VP9"
        case .vp8: return "VP8"
        }
    }
}
