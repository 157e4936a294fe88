/// The onMetaData script tag players read first (FLV spec E.5).
public enum FlvMetadata {
    public struct Info: Sendable {
        public var width = 0, height = 0
        public var frameRate = 0.0
        public var videoCodec: Codec?
        public var audioCodec: Codec?
        public var sampleRate = 0, channels = 0
        public init() {}
    }

    public static func body(_ info: Info) -> [UInt8] {
        var pairs: [AMFPair] = []
        if let v = info.videoCodec {
            pairs.append(AMFPair("width", .number(Double(info.width))))
            pairs.append(AMFPair("height", .number(Double(info.height))))
            if info.frameRate > 0 { pairs.append(AMFPair("framerate", .number(info.frameRate))) }
            switch v {
            case .h264: pairs.append(AMFPair("videocodecid", .number(7)))
            case .h265: pairs.append(AMFPair("videocodecid", .number(Double(0x6876_6331))))
            case .av1: pairs.append(AMFPair("videocodecid", .number(Double(0x6176_3031))))
            default: pairs.append(AMFPair("videocodecid", .number(Double(0x7670_3039))))
            }
        }
        if let a = info.audioCodec {
            let id: Double = a == .aac ? 10 : a == .pcma ? 7 : a == .pcmu ? 8 : a == .opus ? 13 : 2
            pairs.append(AMFPair("audiocodecid", .number(id)))
            pairs.append(AMFPair("audiosamplerate", .number(Double(info.sampleRate))))
            pairs.append(AMFPair("stereo", .bool(info.channels > 1)))
        }
        pairs.append(AMFPair("encoder", .string("MediaRouter")))
        return AMF0Encoder.encode([.string("onMetaData"), .ecmaArray(pairs)])
    }
}
