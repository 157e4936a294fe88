import MediaFormats
import MpegTS

/// MPEG-TS for HTTP-TS and WebSocket-TS players: PAT and PMT as the header (the muxer repeats them before
/// every keyframe too), then the TS packets of each frame.
public struct TsLiveContainer: LiveContainer {
    private var muxer: TsMuxer
    private var out: [UInt8] = []
    public let carriesVideo: Bool

    public init?(tracks: [MediaTrack?]) {
        let m = TsMuxer(tracks: tracks)
        guard !m.isEmpty else { return nil }
        muxer = m
        // The TS muxer carries H.264 and H.265 video (AV1 and VP9 have no stream type players read).
        carriesVideo = tracks.contains { $0?.codec == .h264 || $0?.codec == .h265 }
    }

    public mutating func header() -> [UInt8] { muxer.header() }

    public mutating func frame(track: Int, pts: Int64, dts: Int64, key: Bool, data: UnsafeRawBufferPointer) -> [(key: Bool, bytes: [UInt8])] {
        out.removeAll(keepingCapacity: true)
        guard muxer.mux(track: track, pts: pts, dts: dts, key: key, data: Array(data)[...], into: &out), !out.isEmpty else { return [] }
        return [(key, out)]
    }
}
