import MediaFormats
import PluginABI

/// Between the ABI's codec numbers and the formats library's.
public enum CodecMapping {
    public static func codec(_ c: Int32) -> Codec? {
        switch UInt32(bitPattern: c) {
        case MR_CODEC_H264.rawValue: return .h264
        case MR_CODEC_H265.rawValue: return .h265
        case MR_CODEC_AAC.rawValue: return .aac
        case MR_CODEC_PCMA.rawValue: return .pcma
        case MR_CODEC_PCMU.rawValue: return .pcmu
        case MR_CODEC_OPUS.rawValue: return .opus
        case MR_CODEC_AV1.rawValue: return .av1
        case MR_CODEC_VP9.rawValue: return .vp9
        case MR_CODEC_MP3.rawValue: return .mp3
        case MR_CODEC_VP8.rawValue: return .vp8
        default: return nil
        }
    }

    public static func abi(_ c: Codec) -> Int32 {
        let v: mr_codec
        switch c {
        case .h264: v = MR_CODEC_H264
        case .h265: v = MR_CODEC_H265
        case .aac: v = MR_CODEC_AAC
        case .pcma: v = MR_CODEC_PCMA
        case .pcmu: v = MR_CODEC_PCMU
        case .opus: v = MR_CODEC_OPUS
        case .av1: v = MR_CODEC_AV1
        case .vp9: v = MR_CODEC_VP9
        case .mp3: v = MR_CODEC_MP3
        case .vp8: v = MR_CODEC_VP8
        }
        return Int32(bitPattern: v.rawValue)
    }
}
