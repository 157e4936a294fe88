import PluginABI

/// The start of one player's delivery: a ring starts it on a video keyframe, but the other tracks' frames
/// stored after that keyframe may be a little older than it (RTP tracks arrive on their own schedules).
/// Sent, they would go back in time: clamped to the player's time 0 they repeat a timestamp (RTMP, FLV),
/// and an RTSP player sees its first audio before the picture it belongs with. Such frames are dropped; a
/// frame far older (a source whose clock restarted) is not this case and goes through.
public struct StaleFrameFilter {
    /// How far before the first frame a frame may be and still count as interleaving, not a clock restart.
    public static let windowUs: Int64 = 1_000_000
    private var firstDtsUs: Int64?
    /// Frames dropped so far; past 64 (more than any start interleaves) nothing more is dropped.
    public private(set) var dropped = 0

    public init() {}

    /// Whether `frame` (not a header) is sent; the first one admitted fixes the start.
    public mutating func admits(_ frame: mr_frame) -> Bool {
        guard let first = firstDtsUs else {
            firstDtsUs = frame.dts
            return true
        }
        let early = first &- frame.dts
        guard early > 0, early < Self.windowUs, dropped < 64 else { return true }
        dropped += 1
        return false
    }
}
