/// Codecs the formats library knows, independent of the plugin ABI's numbering.
public enum Codec: String, Sendable, CaseIterable {
    case h264, h265, av1, vp9, vp8, aac, pcma, pcmu, opus, mp3

    public var isVideo: Bool { self == .h264 || self == .h265 || self == .av1 || self == .vp9 || self == .vp8 }
}
