import MediaFormats

/// A track as the TS muxer and demuxer see it (the demuxer fills `config` once it has seen the parameter
/// sets or an ADTS header).
public typealias TsTrack = MediaTrack

/// One demuxed access unit in bus format: H.264/H.265 as 4-byte length-prefixed NAL units (AUD removed), AAC as a
/// raw frame (ADTS header removed), Opus as one raw packet (TS control header removed), G.711 as raw samples.
public struct TsFrame: Sendable, Equatable {
    public var pid: UInt16
    /// Index in `TsDemuxer.tracks`.
    public var track: Int
    /// Microseconds, unwrapped across the 33-bit rollover; the stream's own origin is kept.
    public var pts: Int64
    public var dts: Int64
    public var key: Bool
    public var data: [UInt8]

    public init(pid: UInt16, track: Int, pts: Int64, dts: Int64, key: Bool, data: [UInt8]) {
        self.pid = pid
        self.track = track
        self.pts = pts
        self.dts = dts
        self.key = key
        self.data = data
    }
}
