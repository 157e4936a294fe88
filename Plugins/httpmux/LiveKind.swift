import BusMedia
import HttpProtocol
import MRPluginKit

/// What a live URL is played as: the derived ring it reads, the name players are listed under, the HTTP
/// content type, and whether each player's timestamps are rewritten (FLV starts every player near 0; TS and
/// fMP4 carry the source clock, which their players accept as is).
struct LiveKind {
    let ringFormat: String
    let protocolName: String
    let contentType: String
    let label: String
    let rebasesTimestamps: Bool

    init(_ format: LiveURL.Format, websocket: Bool) {
        let prefix = websocket ? "ws-" : ""
        switch format {
        case .flv:
            ringFormat = prefix + "flv"
            protocolName = websocket ? "ws-flv" : "http-flv"
            contentType = "video/x-flv"
            label = websocket ? "WebSocket-FLV" : "HTTP-FLV"
            rebasesTimestamps = true
        case .ts:
            ringFormat = prefix + "ts"
            protocolName = websocket ? "ws-ts" : "http-ts"
            contentType = "video/mp2t"
            label = websocket ? "WebSocket-TS" : "HTTP-TS"
            rebasesTimestamps = false
        case .mp4:
            ringFormat = prefix + "fmp4"
            protocolName = websocket ? "ws-fmp4" : "http-fmp4"
            contentType = "video/mp4"
            label = websocket ? "WebSocket-fMP4" : "HTTP-fMP4"
            rebasesTimestamps = false
        }
    }
}

/// The derived-ring muxers of httpmux, one per ring format.
final class LiveMuxers {
    let flv: FlvMuxerFactory
    let wsFlv: FlvMuxerFactory
    let ts: ContainerMuxerFactory<TsLiveContainer>
    let wsTs: ContainerMuxerFactory<TsLiveContainer>
    let fmp4: ContainerMuxerFactory<Fmp4LiveContainer>
    let wsFmp4: ContainerMuxerFactory<Fmp4LiveContainer>

    init(host: PluginHost) {
        flv = FlvMuxerFactory(host: host, websocket: false)
        wsFlv = FlvMuxerFactory(host: host, websocket: true)
        let asIs: @Sendable ([UInt8]) -> [UInt8] = { $0 }
        let binaryFrame: @Sendable ([UInt8]) -> [UInt8] = { WebSocket.frame(opcode: 2, $0) }
        ts = ContainerMuxerFactory(host: host, framing: asIs)
        wsTs = ContainerMuxerFactory(host: host, framing: binaryFrame)
        fmp4 = ContainerMuxerFactory(host: host, framing: asIs)
        wsFmp4 = ContainerMuxerFactory(host: host, framing: binaryFrame)
    }

    func factory(_ format: LiveURL.Format, websocket: Bool) -> RingMuxerFactory {
        switch (format, websocket) {
        case (.flv, false): return flv
        case (.flv, true): return wsFlv
        case (.ts, false): return ts
        case (.ts, true): return wsTs
        case (.mp4, false): return fmp4
        case (.mp4, true): return wsFmp4
        }
    }
}
