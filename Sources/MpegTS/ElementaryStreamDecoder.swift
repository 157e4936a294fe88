import MediaFormats

/// PES payloads of one elementary stream into bus frames, for containers other than TS that carry the same PES
/// (the MPEG program stream of GB28181): the Annex B, ADTS and G.711 handling of the TS demuxer, with configs
/// learned in-band. Timestamps are microseconds, already unwrapped (see `PesClock`).
public struct ElementaryStreamDecoder: Sendable {
    public struct Frame: Sendable, Equatable {
        public var pts: Int64
        public var dts: Int64
        public var key: Bool
        public var data: [UInt8]
    }

    public let codec: Codec
    /// The track with what the stream told so far (avcC/hvcC once the parameter sets came, ASC from ADTS).
    public private(set) var track: MediaTrack
    public private(set) var errors = 0
    /// Opus in a program stream comes as bare packets, not with TS's control headers.
    private let rawOpus: Bool
    private var adts = AdtsSplitter()
    private var lastPts: Int64?
    private var parameterSets: [UInt8: [[UInt8]]] = [:]

    public init(codec: Codec, rawOpus: Bool = true) {
        self.codec = codec
        self.rawOpus = rawOpus
        switch codec {
        case .opus: track = MediaTrack(codec: codec, sampleRate: 48000, channels: 2)
        case .pcma, .pcmu: track = MediaTrack(codec: codec, sampleRate: 8000, channels: 1)
        default: track = MediaTrack(codec: codec)
        }
    }

    /// One PES payload (for video: one whole access unit). `randomAccess`: the container flagged a keyframe.
    public mutating func decode(_ payload: ArraySlice<UInt8>, pts: Int64?, dts: Int64?, randomAccess: Bool = false) -> [Frame] {
        switch codec {
        case .h264, .h265:
            guard let format = TsNalFormat(codec), let at = pts ?? lastPts,
                  let au = TsVideoAccessUnit.lengthPrefixed(payload, format: format) else { return [] }
            lastPts = at
            if !au.parameterSets.isEmpty {
                for (type, sets) in au.parameterSets { parameterSets[type] = sets }
                if let config = format.config(parameterSets: parameterSets) { learnVideo(config) }
            }
            let key = au.hasRandomAccessSlice || (randomAccess && au.parameterSets[format.spsType] != nil)
            return [Frame(pts: at, dts: dts ?? at, key: key, data: au.data)]
        case .aac:
            guard let start = pts ?? adts.nextPts else { return [] }
            return adts.push(payload, pts: start, errors: &errors).map { f in
                if track.config.isEmpty || track.sampleRate != f.header.sampleRate, let asc = f.header.config {
                    track.config = asc.bytes
                    track.sampleRate = asc.sampleRate
                    track.channels = asc.channels
                }
                return Frame(pts: f.pts, dts: f.pts, key: true, data: f.payload)
            }
        case .opus where !rawOpus:
            guard let at = pts ?? lastPts else { return [] }
            var samples: Int64 = 0
            var out: [Frame] = []
            for packet in TsOpus.split(payload, errors: &errors) {
                let t = at &+ TsClock.micros(samples: samples, rate: 48000)
                out.append(Frame(pts: t, dts: t, key: true, data: Array(packet)))
                samples += Int64(TsOpus.duration(packet))
            }
            lastPts = at &+ TsClock.micros(samples: samples, rate: 48000)
            return out
        default:
            guard let at = pts ?? lastPts, !payload.isEmpty else { return [] }
            lastPts = at
            return [Frame(pts: at, dts: at, key: true, data: Array(payload))]
        }
    }

    private mutating func learnVideo(_ config: [UInt8]) {
        guard config != track.config else { return }
        track.config = config
        if codec == .h264, let sps = AVCDecoderConfig(config[...])?.parsedSPS {
            (track.width, track.height) = (sps.width, sps.height)
        } else if codec == .h265, let d = HEVCDecoderConfig(config[...])?.dimensions {
            (track.width, track.height) = (d.width, d.height)
        }
    }
}

/// 33-bit 90 kHz PTS/DTS of one program into a continuous microsecond count (every stream shares the clock).
public struct PesClock: Sendable {
    private var unwrapper = TsTimestampUnwrapper()

    public init() {}

    public mutating func micros(ticks raw: Int64) -> Int64 { TsClock.micros(ticks: unwrapper.unwrap(raw)) }

    /// A 33-bit PTS/DTS field (ISO/IEC 13818-1 2.4.3.7: '0010'/'0011'/'0001', then 3+15+15 bits with markers).
    public static func readTimestamp(_ b: ArraySlice<UInt8>) -> Int64? { TsPes.readTimestamp(b) }
}
