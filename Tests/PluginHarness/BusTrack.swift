import PluginABI

/// One track as the bus describes it (`mr_track_info`), in Swift: what a test publishes, and what a probe
/// reads back from the plugin's source.
public struct BusTrack: Equatable, Sendable {
    public var codec: mr_codec
    public var kind: mr_track_kind
    public var clockRate: UInt32
    public var channels: UInt32 = 0
    public var width: UInt32 = 0
    public var height: UInt32 = 0
    public var extradata: [UInt8] = []

    public init(codec: mr_codec, kind: mr_track_kind, clockRate: UInt32, channels: UInt32 = 0, width: UInt32 = 0, height: UInt32 = 0,
                extradata: [UInt8] = []) {
        self.codec = codec
        self.kind = kind
        self.clockRate = clockRate
        self.channels = channels
        self.width = width
        self.height = height
        self.extradata = extradata
    }

    /// H.264 with its AVCDecoderConfigurationRecord.
    public static func h264(avcC: [UInt8], width: UInt32 = 0, height: UInt32 = 0) -> BusTrack {
        BusTrack(codec: MR_CODEC_H264, kind: MR_TRACK_VIDEO, clockRate: 90_000, width: width, height: height, extradata: avcC)
    }

    /// AAC with its AudioSpecificConfig.
    public static func aac(config: [UInt8], sampleRate: UInt32, channels: UInt32) -> BusTrack {
        BusTrack(codec: MR_CODEC_AAC, kind: MR_TRACK_AUDIO, clockRate: sampleRate, channels: channels, extradata: config)
    }

    init(_ info: mr_track_info) {
        codec = mr_codec(rawValue: UInt32(bitPattern: info.codec))
        kind = mr_track_kind(rawValue: UInt32(bitPattern: info.kind))
        clockRate = info.clock_rate
        channels = info.channels
        width = info.width
        height = info.height
        extradata = info.extradata.map { Array(UnsafeBufferPointer(start: $0, count: info.extradata_len)) } ?? []
    }

    /// The C form, valid inside `body` (the extradata is borrowed for the call).
    public func withInfo<T>(_ body: (inout mr_track_info) -> T) -> T {
        extradata.withUnsafeBufferPointer { e in
            var info = mr_track_info()
            info.size = UInt32(MemoryLayout<mr_track_info>.size)
            info.codec = Int32(bitPattern: codec.rawValue)
            info.kind = Int32(bitPattern: kind.rawValue)
            info.clock_rate = clockRate
            info.channels = channels
            info.width = width
            info.height = height
            info.extradata = e.isEmpty ? nil : e.baseAddress
            info.extradata_len = e.count
            return body(&info)
        }
    }
}

/// One frame as a probe received it, its payload copied.
public struct BusFrameCopy: Equatable, Sendable {
    public let track: UInt32
    public let flags: UInt32
    public let pts: Int64
    public let dts: Int64
    public let payload: [UInt8]

    public var isKey: Bool { flags & UInt32(MR_FRAME_KEY) != 0 }
}
