/// Video tag bodies: legacy FLV (codec id 7 = AVC, 12 = HEVC as Chinese servers send it) and
/// Enhanced RTMP (ex-header with FourCC hvc1/avc1/av01/vp09).
public enum FlvVideoTag {
    public enum Packet: Equatable {
        /// Codec configuration (AVCDecoderConfigurationRecord, HEVCDecoderConfigurationRecord, av1C, vpcC).
        case config(Codec, ArraySlice<UInt8>)
        /// One access unit; for H.264/H.265 in length-prefixed NAL units as the config's length size says.
        case frame(Codec, key: Bool, compositionMs: Int32, data: ArraySlice<UInt8>)
        case endOfSequence(Codec)
        /// Metadata, commands, or a codec we do not carry: skipped without error.
        case ignored(String)
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { "FLV video: \(message)" }
    }

    static let fourCCs: [UInt32: Codec] = [0x6876_6331: .h265, 0x6176_6331: .h264, 0x6176_3031: .av1, 0x7670_3039: .vp9]

    public static func parse(_ body: ArraySlice<UInt8>) throws(ParseError) -> Packet {
        var r = ByteReader(body)
        guard let b0 = r.u8() else { throw ParseError(message: "empty body") }
        if b0 & 0x80 != 0 {
            let frameType = (b0 >> 4) & 0x07
            let packetType = b0 & 0x0F
            guard let fourcc = r.u32() else { throw ParseError(message: "truncated FourCC") }
            guard let codec = fourCCs[fourcc] else { return .ignored("FourCC \(fourccText(fourcc))") }
            switch packetType {
            case 0:
                return .config(codec, r.rest())
            case 1, 3:
                var cts: Int32 = 0
                if packetType == 1 && (codec == .h265 || codec == .h264) {
                    guard let v = r.u24() else { throw ParseError(message: "truncated composition time") }
                    cts = Int32(bitPattern: v << 8) >> 8
                }
                if frameType == 5 { return .ignored("video info/command frame") }
                return .frame(codec, key: frameType == 1, compositionMs: cts, data: r.rest())
            case 2:
                return .endOfSequence(codec)
            default:
                return .ignored("enhanced packet type \(packetType)")
            }
        }
        let frameType = b0 >> 4
        let codecId = b0 & 0x0F
        let codec: Codec
        switch codecId {
        case 7: codec = .h264
        case 12: codec = .h265
        default: return .ignored("video codec id \(codecId)")
        }
        guard let packetType = r.u8(), let c = r.u24() else { throw ParseError(message: "truncated AVC header") }
        let cts = Int32(bitPattern: c << 8) >> 8
        switch packetType {
        case 0: return .config(codec, r.rest())
        case 1:
            if frameType == 5 { return .ignored("video info/command frame") }
            return .frame(codec, key: frameType == 1, compositionMs: cts, data: r.rest())
        case 2: return .endOfSequence(codec)
        default: throw ParseError(message: "unknown AVC packet type \(packetType)")
        }
    }

    /// The first bytes of a body; the payload (config or NAL units) follows.
    public static func configPrefix(_ codec: Codec, legacyHEVC: Bool = false) -> [UInt8] {
        switch codec {
        case .h264: return [0x17, 0, 0, 0, 0]
        case .h265 where legacyHEVC: return [0x1C, 0, 0, 0, 0]
        default: return [0x90] + fourcc(codec)   // key frame, SequenceStart
        }
    }

    public static func framePrefix(_ codec: Codec, key: Bool, compositionMs: Int32, legacyHEVC: Bool = false) -> [UInt8] {
        let c = UInt32(bitPattern: compositionMs) & 0xFF_FFFF
        let cts: [UInt8] = [UInt8(c >> 16), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF)]
        switch codec {
        case .h264: return [key ? 0x17 : 0x27, 1] + cts
        case .h265 where legacyHEVC: return [key ? 0x1C : 0x2C, 1] + cts
        case .h265: return [key ? 0x91 : 0xA1] + fourcc(codec) + cts          // CodedFrames with CTS
        default: return [key ? 0x93 : 0xA3] + fourcc(codec)                   // CodedFramesX
        }
    }

    static func fourcc(_ codec: Codec) -> [UInt8] {
        switch codec {
        case .h264: return Array("avc1".utf8)
        case .h265: return Array("hvc1".utf8)
        case .av1: return Array("av01".utf8)
        default: return Array("vp09".utf8)
        }
    }

    static func fourccText(_ v: UInt32) -> String {
        String(decoding: [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)], as: UTF8.self)
    }
}
