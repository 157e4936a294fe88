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

    private static let videoSlot = 0
    private static let audioSlot = 1
    private let tracks: SourceTracks
    private var clock = TimestampUnwrapper()
    private var nalLengthSize = 4
    public var framesIn: Int { tracks.framesIn }
    public var closedByBus: Bool { tracks.closedByBus }

    public init(host: PluginHost, source: OpaquePointer, readyAfterFrames: Int = 50) {
        tracks = SourceTracks(host: host, source: source, readyAfterFrames: readyAfterFrames)
    }

    /// `@setDataFrame`/`onMetaData`: tells which tracks to wait for.
    public func metadata(_ values: [AMFValue]) {
        guard let meta = values.first(where: { $0.pairs != nil }) else { return }
        if let v = meta["videocodecid"], v != .number(0), v != .null { tracks.expect(Self.videoSlot) }
        if let a = meta["audiocodecid"], a != .null { tracks.expect(Self.audioSlot) }
        if let w = meta["width"]?.number, let h = meta["height"]?.number, var v = tracks.track(Self.videoSlot), v.width == 0 {
            v.width = Int(w)
            v.height = Int(h)
            tracks.set(Self.videoSlot, v)
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
            tracks.set(Self.videoSlot, .init(codec: codec, config: Array(bytes), width: width, height: height))
        case .frame(let codec, let key, let cts, let data):
            if tracks.track(Self.videoSlot) == nil { tracks.set(Self.videoSlot, .init(codec: codec)) }
            var payload = Array(data)
            if (codec == .h264 || codec == .h265) && nalLengthSize != 4 {
                guard let n = NalUnits.normalize(data, from: nalLengthSize) else { throw IngestError(message: "bad NAL lengths") }
                payload = n
            }
            tracks.write(Self.videoSlot, flags: key ? UInt32(MR_FRAME_KEY) : 0, pts: dts + Int64(cts) * 1000, dts: dts, payload)
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
            tracks.set(Self.audioSlot, .init(codec: codec, config: Array(bytes), sampleRate: rate, channels: channels))
        case .frame(let codec, let channels, let rate, let data):
            if tracks.track(Self.audioSlot) == nil { tracks.set(Self.audioSlot, .init(codec: codec, sampleRate: rate, channels: channels)) }
            tracks.write(Self.audioSlot, flags: 0, pts: dts, dts: dts, Array(data))
        case .ignored:
            break
        }
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
