import MediaFormats
import MP4Formats

/// Fragmented MP4 for HTTP-fMP4 and WebSocket-fMP4 players: the init segment as the header, then one
/// moof+mdat per frame (each held until the next frame of its track gives its duration).
public struct Fmp4LiveContainer: LiveContainer {
    private var muxer: Fmp4Muxer
    public let carriesVideo: Bool

    public init?(tracks: [MediaTrack?]) {
        let m = Fmp4Muxer(tracks: tracks)
        guard !m.isEmpty else { return nil }
        muxer = m
        carriesVideo = m.muxedTracks.contains { $0 < tracks.count && tracks[$0]?.codec.isVideo == true }
    }

    public mutating func header() -> [UInt8] { muxer.initSegment() }

    public mutating func frame(track: Int, pts: Int64, dts: Int64, key: Bool, data: UnsafeRawBufferPointer) -> [(key: Bool, bytes: [UInt8])] {
        muxer.mux(track: track, pts: pts, dts: dts, key: key, data: Array(data)[...]).map { ($0.key, $0.bytes) }
    }
}
