import TestSupport
/// Byte vectors captured from real encoders (ffmpeg 5.1 with libx264, libx265 and its AAC encoder), so the
/// parsers are checked against what clients send, not against our own encoder.
enum Vectors {
    static func hex(_ s: String) -> [UInt8] { hexBytes(s) }

    /// FLV video tag body of an H.264 sequence header (320x240 baseline), from `ffmpeg -f flv`.
    static let avcSequenceHeaderTag = hex("""
        17000000000142c00dffe100186742c00dd90141fb011000000300100000030320f142a48001000568cb83cb20
        """)
    static let avcConfig = Array(avcSequenceHeaderTag.dropFirst(5))
    static let sps = hex("6742c00dd90141fb011000000300100000030320f142a480")
    static let pps = hex("68cb83cb20")

    /// FLV audio tag body of the AAC config: AAC-LC, 44.1 kHz, mono, with explicit SBR-absent signalling.
    static let aacSequenceHeaderTag = hex("af00120856e500")

    /// The start of an FLV onMetaData script body from ffmpeg.
    static let metadataPrefix = hex("02000a6f6e4d65746144617461080000000d00086475726174696f6e0040002f1a9fbe76c900")

    /// The whole RTMP chunk stream of ffmpeg's `connect`: a type-0 header on chunk stream 3, 128 bytes, then
    /// a type-3 continuation (0xC3) for the last 12 bytes.
    static let ffmpegConnectChunks = hex("0300000000008c1400000000020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e707269766174650008666c617368566572020024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e302e313a31c3393933352f6c697665000009")

    /// HEVC config from x265 (320x240), reduced to its VPS, SPS and PPS arrays.
    static let hevcConfig = hex("0104080000009e08000000003cf000fcfff8f800000f03a00001001740010c01ffff0408000003009e0800000300003c959809a10001002b4201010408000003009e0800000300003c90014101e2cb2b349265780b7020200040000003004000000642a2000100084401c172860c4624")
}
