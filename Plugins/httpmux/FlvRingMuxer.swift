import BusMedia
import HttpProtocol
import MediaFormats
import MRPluginKit
import PluginABI

/// The "flv" and "ws-flv" derived rings: each source frame becomes one FLV tag (for WebSocket players,
/// already wrapped in a binary frame); the header is the FLV file header, onMetaData and sequence headers.
final class FlvMuxerFactory: RingMuxerFactory {
    let host: PluginHost
    let framing: FlvPacketMuxer.Framing

    init(host: PluginHost, websocket: Bool) {
        self.host = host
        framing = websocket ? Self.webSocketFraming : Self.httpFraming
    }

    private static func tag(_ b: FlvBodyMuxer.Body) -> [UInt8] { FlvFraming.tag(type: b.type, timestampMs: b.timestampMs, body: b.bytes[...]) }

    private static func header(_ bodies: [FlvBodyMuxer.Body], _ flv: FlvBodyMuxer) -> [UInt8] {
        FlvFraming.fileHeader(audio: flv.hasAudio, video: flv.hasVideo) + bodies.flatMap(tag)
    }

    static let httpFraming = FlvPacketMuxer.Framing(header: { header($0, $1) }, packet: { tag($0) })
    static let webSocketFraming = FlvPacketMuxer.Framing(header: { WebSocket.frame(opcode: 2, header($0, $1)) },
                                                          packet: { WebSocket.frame(opcode: 2, tag($0)) })

    func makeMuxer(for ring: OpaquePointer) -> RingMuxer? { FlvPacketMuxer(host: host, ring: ring, framing: framing) }
}
