/// Makes an H.264 stream with B-frames playable by a receiver that needs presentation order == decode order
/// (a WebRTC receiver: libwebrtc's software H.264 decoder fails every frame that does not come out of the decoder
/// at once). It drops the pictures a reordering decoder would show before one already passed (with x264's
/// B-pyramid: every B picture, the reference ones included, which only other B pictures of the same group
/// use: the I and P pictures left decode exactly as in the full stream), and rewrites the SPS so the decoder
/// holds nothing back. The frame rate drops to the P rate; what is left plays at an even cadence.
/// ZLMediaKit's `rtc.bfilter` drops B slices the same way. Sans-I/O: timestamps and bytes in, a decision out.
public struct H264ReorderFilter: Sendable {
    /// Presentation time of the last picture passed since the last keyframe.
    private var lastPts: Int64?
    public private(set) var dropped = 0

    public init() {}

    /// Whether the picture goes out: a keyframe always, any other picture if it is not shown before the last
    /// one that went out (equal times are let through: some sources repeat a timestamp without reordering).
    public mutating func admit(pts: Int64, key: Bool) -> Bool {
        if key || lastPts.map({ pts >= $0 }) ?? false {
            lastPts = pts
            return true
        }
        dropped += 1
        return false
    }

    /// A length-prefixed access unit with its SPS rewritten (see H264SpsReorderRewrite); the same bytes when it
    /// has no SPS to change.
    public static func accessUnit(_ au: ArraySlice<UInt8>) -> [UInt8] {
        guard let nals = NalUnits.splitLengthPrefixed(au) else { return Array(au) }
        var changed = false
        let out = nals.map { nal -> ArraySlice<UInt8> in
            guard NalUnits.h264Type(nal) == 7, let sps = H264SpsReorderRewrite.withoutReordering(nal) else { return nal }
            changed = true
            return sps[...]
        }
        return changed ? NalUnits.lengthPrefixed(out) : Array(au)
    }
}
