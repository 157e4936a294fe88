import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats
import RtspProtocol

/// The SDP of what a reader of the "rtsp" ring sends (server DESCRIBE, push ANNOUNCE): one m= section per
/// track RTP can carry, control "trackID=<bus track index>", payload types from RtspPayloadTypes.
struct RtspPlaySdp {
    struct Track {
        let codec: Codec
        let clockRate: Int
    }

    let sdp: [UInt8]
    let tracks: [Int: Track]

    /// `durationMs` (a VOD file's) gives the session a closed range, which tells players they may seek.
    init?(host: PluginHost, reader: OpaquePointer, sessionName: String, durationMs: Int64? = nil) {
        var described: [SdpTrack] = []
        var tracks: [Int: Track] = [:]
        for i in 0..<host.table.reader_track_count(reader) {
            guard let info = host.trackInfo(reader: reader, i), let codec = CodecMapping.codec(info.codec),
                  RtpPacketizers.make(codec: codec, payloadType: 96, ssrc: 1, clockRate: 90000, channels: 1) != nil else { continue }
            let index = Int(i)
            let clock = RtspPayloadTypes.clockRate(codec, sampleRate: Int(info.clock_rate))
            tracks[index] = Track(codec: codec, clockRate: clock)
            described.append(SdpTrack(codec: codec, payloadType: RtspPayloadTypes.payloadType(codec, track: index), clockRate: clock,
                                      channels: codec.isVideo ? nil : Int(max(1, info.channels)), control: "trackID=\(index)",
                                      config: info.extradataBytes))
        }
        guard !described.isEmpty else { return nil }
        self.tracks = tracks
        let range = durationMs.map { RtspRange(start: .seconds(0), end: Double($0) / 1000).format() } ?? "npt=now-"
        self.sdp = Array(SdpWriter.playDescription(tracks: described, sessionName: sessionName, range: range).utf8)
    }
}
