import BusMedia
import HttpProtocol
import MRPluginKit

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
