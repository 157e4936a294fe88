import RtmpProtocol
import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI

/// The "rtmp" derived ring: each source frame becomes one fully chunked RTMP message, muxed once per
/// source on its loop and written to every player's socket as is. Message stream 1, chunk size
/// `RtmpCommands.outChunkSize`, absolute timestamps on the source clock.
final class RtmpRingMuxer: RingMuxer {
    private let host: PluginHost
    private var flv: FlvBodyMuxer
    private var lastDts: Int64 = 0

    static let audioCsid: UInt32 = 4
    static let dataCsid: UInt32 = 5
    static let videoCsid: UInt32 = 6

    init(host: PluginHost, ring: OpaquePointer, legacyHEVC: Bool) {
        self.host = host
        self.flv = FlvBodyMuxer(legacyHEVC: legacyHEVC)
        setHeader(ring)
    }

    static func message(_ body: FlvBodyMuxer.Body) -> [UInt8] {
        let (csid, type): (UInt32, UInt8)
        switch body.type {
        case .video: (csid, type) = (videoCsid, RtmpMessage.video)
        case .audio: (csid, type) = (audioCsid, RtmpMessage.audio)
        case .script: (csid, type) = (dataCsid, RtmpMessage.dataAMF0)
        }
        return RtmpChunkWriter.chunks(csid: csid, timestamp: body.timestampMs, type: type, streamId: 1,
                                      payload: body.bytes[...], chunkSize: RtmpCommands.outChunkSize)
    }

    /// Metadata and sequence headers: what a new player gets before its first keyframe.
    private func setHeader(_ ring: OpaquePointer) {
        let bytes = flv.load(host: host, ring: ring).flatMap(Self.message)
        guard let buf = host.buffer(bytes) else { return }
        _ = host.table.ring_set_header(ring, buf)
        host.table.buf_release(buf)
    }

    func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        var packets: [mr_frame] = []
        packets.reserveCapacity(frames.count)
        for f in frames {
            lastDts = f.dts
            guard let body = flv.body(host: host, f), let buf = host.buffer(Self.message(body)) else { continue }
            packets.append(mr_frame(track: f.track, flags: body.key ? UInt32(MR_FRAME_KEY) : 0, pts: f.pts, dts: f.dts, payload: buf))
        }
        guard !packets.isEmpty else { return }
        _ = packets.withUnsafeBufferPointer { host.table.ring_write(ring, $0.baseAddress, $0.count) }
        for p in packets { host.table.buf_release(p.payload) }
    }

    /// New codec parameters: players already attached get the new sequence headers in-stream.
    func tracksChanged(_ ring: OpaquePointer) {
        setHeader(ring)
        let bytes = flv.configBodies(timestampMs: UInt32(truncatingIfNeeded: lastDts / 1000)).flatMap(Self.message)
        guard !bytes.isEmpty, let buf = host.buffer(bytes) else { return }
        var packet = mr_frame(track: 0, flags: UInt32(MR_FRAME_CONFIG), pts: lastDts, dts: lastDts, payload: buf)
        _ = host.table.ring_write(ring, &packet, 1)
        host.table.buf_release(buf)
    }
}
