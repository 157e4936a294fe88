import PluginABI

/// One track of a source: codec and the parameters a muxer needs (SPS/PPS, AudioSpecificConfig, ...).
public struct TrackInfo: Sendable, Equatable {
    public var codec: Int32
    public var kind: Int32
    public var clockRate: UInt32
    public var channels: UInt32
    public var width: UInt32
    public var height: UInt32
    public var fps: Double
    public var bitrate: UInt32
    /// Kept in a `MediaBuffer` so the pointer handed to C stays valid while the track is current.
    public var extradata: MediaBuffer?

    public init(codec: Int32, kind: Int32, clockRate: UInt32, channels: UInt32 = 0, width: UInt32 = 0,
                height: UInt32 = 0, fps: Double = 0, bitrate: UInt32 = 0, extradata: MediaBuffer? = nil) {
        self.codec = codec
        self.kind = kind
        self.clockRate = clockRate
        self.channels = channels
        self.width = width
        self.height = height
        self.fps = fps
        self.bitrate = bitrate
        self.extradata = extradata
    }

    public var isVideo: Bool { kind == Int32(MR_TRACK_VIDEO.rawValue) }

    /// Reads a C track description; the extradata bytes are copied.
    public init?(c info: UnsafePointer<mr_track_info>) {
        // Copy only what the writer's struct holds, into a zeroed struct of our size (append-only rule).
        var local = mr_track_info()
        let writerSize = Int(info.pointee.size)
        guard writerSize >= MemoryLayout<UInt32>.size else { return nil }
        withUnsafeMutableBytes(of: &local) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: info, count: min(writerSize, dst.count)))
        }
        var extra: MediaBuffer?
        if let p = local.extradata, local.extradata_len > 0, local.extradata_len <= 1 << 20 {
            extra = MediaBuffer(copying: UnsafeRawBufferPointer(start: p, count: local.extradata_len))
        }
        self.init(codec: local.codec, kind: local.kind, clockRate: local.clock_rate, channels: local.channels,
                  width: local.width, height: local.height, fps: local.fps, bitrate: local.bitrate,
                  extradata: extra)
    }

    /// Fills a C description whose extradata points into this track's buffer.
    public func fill(_ out: UnsafeMutablePointer<mr_track_info>) {
        let writerSize = Int(out.pointee.size)
        var local = mr_track_info()
        local.size = UInt32(MemoryLayout<mr_track_info>.size)
        local.codec = codec
        local.kind = kind
        local.clock_rate = clockRate
        local.channels = channels
        local.width = width
        local.height = height
        local.fps = fps
        local.bitrate = bitrate
        if let extradata {
            local.extradata = UnsafePointer(extradata.baseAddress.assumingMemoryBound(to: UInt8.self))
            local.extradata_len = extradata.count
        }
        // The caller's struct may be older (smaller): write only what it has room for.
        let n = writerSize > 0 ? min(writerSize, MemoryLayout<mr_track_info>.size) : MemoryLayout<mr_track_info>.size
        withUnsafeBytes(of: &local) { src in
            UnsafeMutableRawPointer(out).copyMemory(from: src.baseAddress!, byteCount: n)
        }
        if writerSize > 0 { out.pointee.size = UInt32(writerSize) }
    }

    public static func == (a: TrackInfo, b: TrackInfo) -> Bool {
        a.codec == b.codec && a.kind == b.kind && a.clockRate == b.clockRate && a.channels == b.channels
            && a.width == b.width && a.height == b.height && a.fps == b.fps && a.bitrate == b.bitrate
            && (a.extradata?.toArray() ?? []) == (b.extradata?.toArray() ?? [])
    }

    public var codecName: String {
        switch UInt32(bitPattern: codec) {
        case MR_CODEC_H264.rawValue: return "H264"
        case MR_CODEC_H265.rawValue: return "H265"
        case MR_CODEC_AAC.rawValue: return "AAC"
        case MR_CODEC_PCMA.rawValue: return "PCMA"
        case MR_CODEC_PCMU.rawValue: return "PCMU"
        case MR_CODEC_OPUS.rawValue: return "Opus"
        case MR_CODEC_AV1.rawValue: return "AV1"
        case MR_CODEC_VP9.rawValue: return "VP9"
        case MR_CODEC_MP3.rawValue: return "MP3"
        case MR_CODEC_VP8.rawValue: return "VP8"
        case MR_CODEC_DATA.rawValue: return "data"
        default: return "unknown"
        }
    }
}
