import TestSupport
/// Inputs captured from real encoders (ffmpeg 5.1 with libx264, libx265, its AAC encoder and libopus) and the
/// bytes ffmpeg's own mp4 muxer wrote for them, so the writer is checked against what clients send and what
/// another muxer produces, not only against itself.
enum Mp4Vectors {
    static func hex(_ s: String) -> [UInt8] { hexBytes(s) }

    /// avcC of a 320x240 baseline stream from `ffmpeg -c:v libx264 -profile:v baseline -f flv` (the same bytes
    /// as MediaFormatsTests' Vectors.avcConfig).
    static let avcBaseline = hex("0142c00dffe100186742c00dd90141fb011000000300100000030320f142a48001000568cb83cb20")

    /// avcC box payload ffmpeg wrote for `testsrc=size=640x360 -c:v libx264 -profile:v high -f mp4`, with the
    /// high-profile chroma/bit-depth extension at the end.
    static let avcHigh = hex("""
        0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800
        """)

    /// hvcC from x265 (320x240), reduced to its VPS, SPS and PPS arrays (MediaFormatsTests' Vectors.hevcConfig).
    static let hevc = hex("""
        0104080000009e08000000003cf000fcfff8f800000f03a00001001740010c01ffff0408000003009e0800000300003c959809a1\
        0001002b4201010408000003009e0800000300003c90014101e2cb2b349265780b7020200040000003004000000642a200010008\
        4401c172860c4624
        """)

    /// ffmpeg's AAC encoder, 44.1 kHz stereo: AAC-LC plus the explicit "no SBR" sync extension.
    static let ascStereo44k = hex("121056e500")

    /// OpusHead from libopus through ffmpeg (stereo, pre-skip 312, 48 kHz), and the dOps box ffmpeg's mp4 muxer
    /// wrote for it.
    static let opusHeadStereo = hex("4f707573486561640102380180bb0000000000")
    static let ffmpegDOpsStereo = hex("00000013644f7073000201380000bb80000000")

    /// OpusHead of a libopus 5.1 stream: mapping family 1, 4 streams, 2 coupled, Vorbis channel order.
    static let opusHead51 = hex("4f707573486561640106380180bb00000000010402000401020305")
}
