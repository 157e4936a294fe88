import HttpProtocol
import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI

/// The "flv" and "ws-flv" derived rings: each source frame becomes one FLV tag (for WebSocket players,
/// already wrapped in a binary frame), muxed once per source and written to every player as is.
final class FlvRingMuxer: RingMuxer {
    private let host: PluginHost
    private let websocket: Bool
    private var flv = FlvBodyMuxer()
    private var lastDts: Int64 = 0

    init(host: PluginHost, ring: OpaquePointer, websocket: Bool) {
        self.host = host
        self.websocket = websocket
        setHeader(ring)
    }

    private func wrap(_ bytes: [UInt8]) -> [UInt8] { websocket ? WebSocket.frame(opcode: 2, bytes) : bytes }

    private static func tag(_ b: FlvBodyMuxer.Body) -> [UInt8] { FlvFraming.tag(type: b.type, timestampMs: b.timestampMs, body: b.bytes[...]) }

    /// FLV file header, onMetaData and sequence headers: what a new player receives first.
    private func setHeader(_ ring: OpaquePointer) {
        let bodies = flv.load(host: host, ring: ring)
        let bytes = FlvFraming.fileHeader(audio: flv.hasAudio, video: flv.hasVideo) + bodies.flatMap(Self.tag)
        guard let buf = host.buffer(wrap(bytes)) else { return }
        _ = host.table.ring_set_header(ring, buf)
        host.table.buf_release(buf)
    }

    func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        var packets: [mr_frame] = []
        packets.reserveCapacity(frames.count)
        for f in frames {
            lastDts = f.dts
            guard let body = flv.body(host: host, f), let buf = host.buffer(wrap(Self.tag(body))) else { continue }
            packets.append(mr_frame(track: f.track, flags: body.key ? UInt32(MR_FRAME_KEY) : 0, pts: f.pts, dts: f.dts, payload: buf))
        }
        guard !packets.isEmpty else { return }
        _ = packets.withUnsafeBufferPointer { host.table.ring_write(ring, $0.baseAddress, $0.count) }
        for p in packets { host.table.buf_release(p.payload) }
    }

    func tracksChanged(_ ring: OpaquePointer) {
        setHeader(ring)
        let ms = UInt32(truncatingIfNeeded: lastDts / 1000)
        let bytes = flv.configBodies(timestampMs: ms).flatMap(Self.tag)
        guard !bytes.isEmpty, let buf = host.buffer(wrap(bytes)) else { return }
        var packet = mr_frame(track: 0, flags: UInt32(MR_FRAME_CONFIG), pts: lastDts, dts: lastDts, payload: buf)
        _ = host.table.ring_write(ring, &packet, 1)
        host.table.buf_release(buf)
    }
}

/// One factory per format, so the ring knows which framing to use.
final class FlvMuxerFactory: RingMuxerFactory {
    let host: PluginHost
    let websocket: Bool
    init(host: PluginHost, websocket: Bool) {
        self.host = host
        self.websocket = websocket
    }
    func makeMuxer(for ring: OpaquePointer) -> RingMuxer? { FlvRingMuxer(host: host, ring: ring, websocket: websocket) }
}
