import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtmpProtocol

/// The "rtmp" derived ring: each source frame becomes one fully chunked RTMP message on message stream 1,
/// chunk size `RtmpCommands.outChunkSize`, absolute timestamps on the source clock.
enum RtmpRingMuxer {
    static let audioCsid: UInt32 = 4
    static let dataCsid: UInt32 = 5
    static let videoCsid: UInt32 = 6

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

    static let framing = FlvPacketMuxer.Framing(header: { bodies, _ in bodies.flatMap(message) }, packet: message)

    static func make(host: PluginHost, ring: OpaquePointer, legacyHEVC: Bool) -> RingMuxer {
        FlvPacketMuxer(host: host, ring: ring, framing: framing, legacyHEVC: legacyHEVC)
    }
}
