import MediaFormats
import MRPluginKit
import PluginABI

extension MediaTrack {
    /// From a bus track's description; nil for a codec the formats library does not know.
    public init?(_ info: mr_track_info) {
        guard let codec = CodecMapping.codec(info.codec) else { return nil }
        self.init(codec: codec, config: info.extradataBytes, width: Int(info.width), height: Int(info.height),
                  sampleRate: codec.isVideo ? 0 : Int(info.clock_rate), channels: Int(info.channels))
    }
}

/// A container that needs no per-player changes (MPEG-TS, fragmented MP4): a header a player gets first,
/// then bytes per frame.
public protocol LiveContainer {
    /// Nil when no track can be carried.
    init?(tracks: [MediaTrack?])
    /// Whether a video track is among those carried (if not, every packet is a place for a player to start).
    var carriesVideo: Bool { get }
    mutating func header() -> [UInt8]
    /// The packets ready after this frame (a container may hold a frame back until it knows its duration).
    mutating func frame(track: Int, pts: Int64, dts: Int64, key: Bool, data: UnsafeRawBufferPointer) -> [(key: Bool, bytes: [UInt8])]
}

/// A derived ring of a LiveContainer: muxed once per source, every player writes the same buffers.
/// `frame` wraps each packet for its transport (as is for HTTP, a binary frame for WebSocket).
public final class ContainerRingMuxer<C: LiveContainer>: RingMuxer {
    public typealias Framing = @Sendable ([UInt8]) -> [UInt8]

    private let host: PluginHost
    private let framing: Framing
    private var container: C?
    /// Without video that the container carries, every packet is a place to start (audio-only streams, or
    /// video in a codec the container cannot take).
    private var hasVideo = false
    /// Whether the source has anything this container can carry; a factory refuses the ring otherwise.
    var canMux: Bool { container != nil }

    public init(host: PluginHost, ring: OpaquePointer, framing: @escaping Framing) {
        self.host = host
        self.framing = framing
        load(ring)
    }

    private func load(_ ring: OpaquePointer) {
        let tracks = (0..<host.table.ring_track_count(ring)).map { i in host.trackInfo(ring: ring, i).flatMap(MediaTrack.init) }
        container = C(tracks: tracks)
        hasVideo = container?.carriesVideo ?? false
        // VP8 (from WebRTC publishers) has no mapping in TS or MP4 here: say so rather than leave it out silently.
        if tracks.contains(where: { $0?.codec == .vp8 }) { host.log(MR_LOG_INFO, "\(C.self) cannot carry vp8: that track is left out") }
        guard var c = container, let buf = host.buffer(framing(c.header())) else { return }
        container = c
        _ = host.table.ring_set_header(ring, buf)
        host.table.buf_release(buf)
    }

    public func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard var c = container else { return }
        var packets: [mr_frame] = []
        for f in frames {
            guard let payload = f.payload else { continue }
            for p in c.frame(track: Int(f.track), pts: f.pts, dts: f.dts, key: f.flags & UInt32(MR_FRAME_KEY) != 0,
                             data: host.bytes(of: payload)) {
                guard let buf = host.buffer(framing(p.bytes)) else { continue }
                packets.append(mr_frame(track: f.track, flags: p.key || !hasVideo ? UInt32(MR_FRAME_KEY) : 0, pts: f.pts, dts: f.dts,
                                        payload: buf))
            }
        }
        container = c
        guard !packets.isEmpty else { return }
        _ = packets.withUnsafeBufferPointer { host.table.ring_write(ring, $0.baseAddress, $0.count) }
        for p in packets { host.table.buf_release(p.payload) }
    }

    /// New codec parameters: a new header for players that join from now on, and the stream starts over.
    public func tracksChanged(_ ring: OpaquePointer) { load(ring) }
}

/// A factory of ContainerRingMuxer for one container and framing, to register as a derived-ring format.
public final class ContainerMuxerFactory<C: LiveContainer>: RingMuxerFactory {
    private let host: PluginHost
    private let framing: ContainerRingMuxer<C>.Framing

    public init(host: PluginHost, framing: @escaping ContainerRingMuxer<C>.Framing) {
        self.host = host
        self.framing = framing
    }

    /// Nil (the players get "not found") when the source has no track this container can carry.
    public func makeMuxer(for ring: OpaquePointer) -> RingMuxer? {
        let m = ContainerRingMuxer<C>(host: host, ring: ring, framing: framing)
        return m.canMux ? m : nil
    }
}
