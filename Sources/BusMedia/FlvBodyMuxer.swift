import MediaFormats
import MRPluginKit
import PluginABI

/// Turns a source's tracks and frames into FLV tag bodies (what RTMP messages and FLV tags carry).
/// One per derived ring: it runs on the source's loop and keeps the configs it last announced.
public struct FlvBodyMuxer: Sendable {
    public struct Body: Sendable {
        public let type: FlvTagType
        public let timestampMs: UInt32
        public let bytes: [UInt8]
        public let key: Bool
    }

    struct TrackState: Sendable {
        let codec: Codec
        let isVideo: Bool
        let channels: Int
        let config: [UInt8]
    }

    private var tracks: [TrackState?] = []
    public let legacyHEVC: Bool
    public private(set) var hasVideo = false
    private var metadata = FlvMetadata.Info()

    public init(legacyHEVC: Bool = false) { self.legacyHEVC = legacyHEVC }

    /// Reads the ring's tracks; returns the bodies of the header: onMetaData and each codec config.
    public mutating func load(host: PluginHost, ring: OpaquePointer) -> [Body] {
        load(host, (0..<host.table.ring_track_count(ring)).map { host.trackInfo(ring: ring, $0) })
    }

    /// The same from a reader's tracks (a push client muxes for itself, not for a ring).
    public mutating func load(host: PluginHost, reader: OpaquePointer) -> [Body] {
        load(host, (0..<host.table.reader_track_count(reader)).map { host.trackInfo(reader: reader, $0) })
    }

    /// Codecs FLV (and Enhanced RTMP) has no tag for: their tracks are left out, the rest plays.
    static let unsupported: Set<Codec> = [.vp8]

    private mutating func load(_ host: PluginHost, _ infos: [mr_track_info?]) -> [Body] {
        tracks = []
        metadata = FlvMetadata.Info()
        for info in infos {
            guard let info, let codec = CodecMapping.codec(info.codec), !Self.unsupported.contains(codec) else {
                if let c = info.flatMap({ CodecMapping.codec($0.codec) }) {
                    host.log(MR_LOG_INFO, "FLV/RTMP cannot carry \(c.rawValue): that track is left out")
                }
                tracks.append(nil)
                continue
            }
            let video = codec.isVideo
            tracks.append(TrackState(codec: codec, isVideo: video, channels: Int(info.channels), config: info.extradataBytes))
            if video, metadata.videoCodec == nil {
                metadata.videoCodec = codec
                metadata.width = Int(info.width)
                metadata.height = Int(info.height)
                metadata.frameRate = info.fps
            } else if !video, metadata.audioCodec == nil {
                metadata.audioCodec = codec
                metadata.sampleRate = Int(info.clock_rate)
                metadata.channels = Int(info.channels)
            }
        }
        hasVideo = metadata.videoCodec != nil
        var out = [Body(type: .script, timestampMs: 0, bytes: FlvMetadata.body(metadata), key: false)]
        out += configBodies(timestampMs: 0)
        return out
    }

    public var hasAudio: Bool { metadata.audioCodec != nil }

    /// Config bodies (sequence headers) of every track that has one.
    public func configBodies(timestampMs: UInt32) -> [Body] {
        tracks.compactMap { t in
            guard let t, !t.config.isEmpty else { return nil }
            if t.isVideo {
                return Body(type: .video, timestampMs: timestampMs,
                            bytes: FlvVideoTag.configPrefix(t.codec, legacyHEVC: legacyHEVC) + t.config, key: false)
            }
            guard t.codec == .aac || t.codec == .opus else { return nil }
            return Body(type: .audio, timestampMs: timestampMs,
                        bytes: FlvAudioTag.prefix(t.codec, channels: t.channels, config: true) + t.config, key: false)
        }
    }

    /// The body of one frame, nil for tracks FLV cannot carry.
    public func body(host: PluginHost, _ frame: mr_frame) -> Body? {
        guard Int(frame.track) < tracks.count, let t = tracks[Int(frame.track)], let payload = frame.payload else { return nil }
        let data = host.bytes(of: payload)
        // FLV time is unsigned: a frame a little before the source's first one (audio ahead of the first
        // keyframe) is put at 0 rather than wrapped to 49 days.
        let ms = UInt32(truncatingIfNeeded: max(0, frame.dts) / 1000)
        if t.isVideo {
            let key = frame.flags & UInt32(MR_FRAME_KEY) != 0
            let cts = Int32(clamping: (frame.pts - frame.dts) / 1000)
            var bytes = FlvVideoTag.framePrefix(t.codec, key: key, compositionMs: cts, legacyHEVC: legacyHEVC)
            bytes.append(contentsOf: data)
            return Body(type: .video, timestampMs: ms, bytes: bytes, key: key)
        }
        guard t.codec != .av1, t.codec != .vp9 else { return nil }
        var bytes = FlvAudioTag.prefix(t.codec, channels: t.channels, config: false)
        bytes.append(contentsOf: data)
        // With no video, every audio frame is a place a player can start.
        return Body(type: .audio, timestampMs: ms, bytes: bytes, key: !hasVideo)
    }
}
