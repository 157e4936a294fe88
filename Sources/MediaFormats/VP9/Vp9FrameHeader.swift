/// The first bits of a VP9 frame's uncompressed header (VP9 bitstream spec 6.2): enough to tell a key frame,
/// which a packetizer must mark as not predicted (RFC 9628 P bit). A superframe starts with its first frame.
public enum Vp9FrameHeader {
    /// Nil when the frame marker is wrong (not VP9, or empty).
    public static func isKeyFrame(_ frame: ArraySlice<UInt8>) -> Bool? {
        guard let b = frame.first, b >> 6 == 2 else { return nil }
        // frame_marker (2), profile_low_bit, profile_high_bit; profile 3 has a reserved zero bit next.
        let profile = (b >> 5) & 1 | ((b >> 4) & 1) << 1
        var bit = profile == 3 ? 5 : 4
        // show_existing_frame: a repeat of a decoded picture, never a key frame.
        guard b & (0x80 >> bit) == 0 else { return false }
        bit += 1
        // frame_type: 0 is KEY_FRAME.
        return b & (0x80 >> bit) == 0
    }
}
