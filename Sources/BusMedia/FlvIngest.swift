import MediaFormats
import MRPluginKit
import PluginABI

/// Feeds FLV tag bodies (RTMP publish, FLV pulls) into a bus source: learns tracks from sequence headers
/// and metadata, declares them, then writes frames with microsecond timestamps.
///
/// Tracks are declared once the configs of the codecs announced in onMetaData have arrived, or after
/// `readyAfterFrames` frames when metadata was missing or incomplete; frames before that are held
/// (bounded) and written right after.
public final class FlvIngest {
    public struct IngestError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    private let host: PluginHost
    private let source: OpaquePointer
    private var video: (codec: Codec, config: [UInt8], width: Int, height: Int, index: Int32?)?
    private var audio: (codec: Codec, config: [UInt8], rate: Int, channels: Int, index: Int32?)?
    private var expectVideo = false
    private var expectAudio = false
    private var ready = false
    private var held: [(track: TrackKind, flags: UInt32, pts: Int64, dts: Int64, data: [UInt8])] = []
    private let readyAfterFrames: Int
    private var clock = TimestampUnwrapper()
    private var nalLengthSize = 4
    public private(set) var framesIn = 0

    enum TrackKind { case video, audio }

    public init(host: PluginHost, source: OpaquePointer, readyAfterFrames: Int = 50) {
        self.host = host
        self.source = source
        self.readyAfterFrames = readyAfterFrames
    }

    /// `@setDataFrame`/`onMetaData`: tells which tracks to wait for.
    public func metadata(_ values: [AMFValue]) {
        guard let meta = values.first(where: { $0.pairs != nil }) else { return }
        if let v = meta["videocodecid"], v != .number(0), v != .null { expectVideo = true }
        if let a = meta["audiocodecid"], a != .null { expectAudio = true }
        if let w = meta["width"]?.number, let h = meta["height"]?.number, var v = video, v.width == 0 {
            v.width = Int(w); v.height = Int(h); video = v
        }
    }

    public func video(timestampMs: UInt32, body: ArraySlice<UInt8>) throws(IngestError) {
        let packet: FlvVideoTag.Packet
        do { packet = try FlvVideoTag.parse(body) } catch { throw IngestError(message: error.description) }
        let dts = clock.unwrap(timestampMs)
        switch packet {
        case .config(let codec, let bytes):
            var width = 0, height = 0
            if codec == .h264, let c = AVCDecoderConfig(bytes) {
                nalLengthSize = c.lengthSize
                if let sps = c.parsedSPS { width = sps.width; height = sps.height }
            } else if codec == .h265, let c = HEVCDecoderConfig(bytes) {
                nalLengthSize = c.lengthSize
                if let d = c.dimensions { width = d.width; height = d.height }
            } else if codec == .h264 || codec == .h265 {
                throw IngestError(message: "bad \(codec.rawValue) sequence header")
            }
            let index = video?.index
            video = (codec, Array(bytes), width, height, index)
            if let index { update(index, video: true) }
            tryReady()
        case .frame(let codec, let key, let cts, let data):
            if video == nil { video = (codec, [], 0, 0, nil) }
            var payload = Array(data)
            if (codec == .h264 || codec == .h265) && nalLengthSize != 4 {
                guard let n = NalUnits.normalize(data, from: nalLengthSize) else { throw IngestError(message: "bad NAL lengths") }
                payload = n
            }
            emit(.video, flags: key ? UInt32(MR_FRAME_KEY) : 0, pts: dts + Int64(cts) * 1000, dts: dts, payload)
        case .endOfSequence, .ignored:
            break
        }
    }

    public func audio(timestampMs: UInt32, body: ArraySlice<UInt8>) throws(IngestError) {
        let packet: FlvAudioTag.Packet
        do { packet = try FlvAudioTag.parse(body) } catch { throw IngestError(message: error.description) }
        let dts = clock.unwrap(timestampMs)
        switch packet {
        case .config(let codec, let bytes):
            var rate = 48000, channels = 2
            if codec == .aac {
                guard let asc = AudioSpecificConfig(bytes) else { throw IngestError(message: "bad AudioSpecificConfig") }
                rate = asc.sampleRate
                channels = asc.channels
            }
            let index = audio?.index
            audio = (codec, Array(bytes), rate, channels, index)
            if let index { update(index, video: false) }
            tryReady()
        case .frame(let codec, let channels, let rate, let data):
            if audio == nil { audio = (codec, [], rate, channels, nil) }
            emit(.audio, flags: 0, pts: dts, dts: dts, Array(data))
        case .ignored:
            break
        }
    }

    private func emit(_ track: TrackKind, flags: UInt32, pts: Int64, dts: Int64, _ payload: [UInt8]) {
        framesIn += 1
        if !ready {
            held.append((track, flags, pts, dts, payload))
            if held.count >= readyAfterFrames { declare() } else { tryReady() }
            return
        }
        write(track, flags: flags, pts: pts, dts: dts, payload)
    }

    private func write(_ track: TrackKind, flags: UInt32, pts: Int64, dts: Int64, _ payload: [UInt8]) {
        let index = track == .video ? video?.index : audio?.index
        guard let index, index >= 0, let buf = host.buffer(payload) else { return }
        var frame = mr_frame(track: UInt32(index), flags: flags, pts: pts, dts: dts, payload: buf)
        _ = host.table.source_write(source, &frame, 1)
        host.table.buf_release(buf)
    }

    /// Ready when every announced track has what it needs (H.264/H.265/AAC need their config).
    private func tryReady() {
        guard !ready else { return }
        let videoDone = video.map { !needsConfig($0.codec) || !$0.config.isEmpty } ?? !expectVideo
        let audioDone = audio.map { !needsConfig($0.codec) || !$0.config.isEmpty } ?? !expectAudio
        guard videoDone, audioDone, video != nil || audio != nil else { return }
        declare()
    }

    private func needsConfig(_ c: Codec) -> Bool { c == .h264 || c == .h265 || c == .aac }

    private func declare() {
        guard !ready else { return }
        ready = true
        // Into locals first: assigning `video?.index` directly would overlap the read of `video` inside.
        if video != nil {
            let index = withTrackInfo(video: true) { host.table.source_add_track(source, &$0) }
            video?.index = index
        }
        if audio != nil {
            let index = withTrackInfo(video: false) { host.table.source_add_track(source, &$0) }
            audio?.index = index
        }
        _ = host.table.source_ready(source)
        let pending = held
        held = []
        for h in pending { write(h.track, flags: h.flags, pts: h.pts, dts: h.dts, h.data) }
    }

    private func update(_ index: Int32, video isVideo: Bool) {
        guard index >= 0 else { return }
        _ = withTrackInfo(video: isVideo) { host.table.source_update_track(source, UInt32(index), &$0) }
    }

    /// The track's description with its current config as extradata, valid for the call.
    private func withTrackInfo(video isVideo: Bool, _ body: (inout mr_track_info) -> Int32) -> Int32 {
        var info = trackInfo(video: isVideo)
        let config = isVideo ? (video?.config ?? []) : (audio?.config ?? [])
        return config.withUnsafeBufferPointer { p in
            info.extradata = p.baseAddress
            info.extradata_len = p.count
            return body(&info)
        }
    }

    private func trackInfo(video isVideo: Bool) -> mr_track_info {
        var info = mr_track_info()
        info.size = UInt32(MemoryLayout<mr_track_info>.size)
        if isVideo, let v = video {
            info.codec = CodecMapping.abi(v.codec)
            info.kind = Int32(bitPattern: MR_TRACK_VIDEO.rawValue)
            info.clock_rate = 90000
            info.width = UInt32(v.width)
            info.height = UInt32(v.height)
        } else if let a = audio {
            info.codec = CodecMapping.abi(a.codec)
            info.kind = Int32(bitPattern: MR_TRACK_AUDIO.rawValue)
            info.clock_rate = UInt32(a.rate)
            info.channels = UInt32(a.channels)
        }
        return info
    }
}

/// 32-bit millisecond timestamps that wrap after 49.7 days, unwrapped to microseconds.
public struct TimestampUnwrapper {
    private var last: UInt32?
    private var epoch: Int64 = 0
    public init() {}

    public mutating func unwrap(_ ms: UInt32) -> Int64 {
        if let last, ms < last, last - ms > 0x8000_0000 { epoch += 1 << 32 }
        last = ms
        return (epoch + Int64(ms)) * 1000
    }
}
