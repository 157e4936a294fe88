import MediaFormats
import MRPluginKit
import PluginABI

/// A derived ring whose packets are FLV tag bodies in some framing: RTMP messages, FLV tags, FLV tags in
/// WebSocket frames. Muxed once per source on its loop; each packet is written to every player as is.
public final class FlvPacketMuxer: RingMuxer {
    public struct Framing: Sendable {
        /// The bytes a player receives first, from the header bodies (metadata and sequence headers).
        public let header: @Sendable (_ bodies: [FlvBodyMuxer.Body], _ muxer: FlvBodyMuxer) -> [UInt8]
        /// One packet from one body.
        public let packet: @Sendable (FlvBodyMuxer.Body) -> [UInt8]

        public init(header: @escaping @Sendable ([FlvBodyMuxer.Body], FlvBodyMuxer) -> [UInt8],
                    packet: @escaping @Sendable (FlvBodyMuxer.Body) -> [UInt8]) {
            self.header = header
            self.packet = packet
        }
    }

    private let host: PluginHost
    private let framing: Framing
    private var flv: FlvBodyMuxer
    private var lastDts: Int64 = 0

    public init(host: PluginHost, ring: OpaquePointer, framing: Framing, legacyHEVC: Bool = false) {
        self.host = host
        self.framing = framing
        self.flv = FlvBodyMuxer(legacyHEVC: legacyHEVC)
        setHeader(ring)
    }

    private func setHeader(_ ring: OpaquePointer) {
        let bodies = flv.load(host: host, ring: ring)
        guard let buf = host.buffer(framing.header(bodies, flv)) else { return }
        _ = host.table.ring_set_header(ring, buf)
        host.table.buf_release(buf)
    }

    public func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        var packets: [mr_frame] = []
        packets.reserveCapacity(frames.count)
        for f in frames {
            lastDts = f.dts
            guard let body = flv.body(host: host, f), let buf = host.buffer(framing.packet(body)) else { continue }
            packets.append(mr_frame(track: f.track, flags: body.key ? UInt32(MR_FRAME_KEY) : 0, pts: f.pts, dts: f.dts, payload: buf))
        }
        guard !packets.isEmpty else { return }
        _ = packets.withUnsafeBufferPointer { host.table.ring_write(ring, $0.baseAddress, $0.count) }
        for p in packets { host.table.buf_release(p.payload) }
    }

    /// New codec parameters: players already attached get the new sequence headers in-stream.
    public func tracksChanged(_ ring: OpaquePointer) {
        setHeader(ring)
        let bytes = flv.configBodies(timestampMs: UInt32(truncatingIfNeeded: lastDts / 1000)).flatMap(framing.packet)
        guard !bytes.isEmpty, let buf = host.buffer(bytes) else { return }
        var packet = mr_frame(track: 0, flags: UInt32(MR_FRAME_CONFIG), pts: lastDts, dts: lastDts, payload: buf)
        _ = host.table.ring_write(ring, &packet, 1)
        host.table.buf_release(buf)
    }
}
