import PluginABI

/// The header's anonymous flag enum imported as Swift constants of the right width.
enum FrameFlags {
    static let key = UInt32(MR_FRAME_KEY)
    static let config = UInt32(MR_FRAME_CONFIG)
    static let header = UInt32(MR_FRAME_HEADER)
    static let discontinuity = UInt32(MR_FRAME_DISCONTINUITY)
}
