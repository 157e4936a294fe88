/// One sample of a file: where its bytes are and when it is decoded and shown, in the track's timescale with the
/// edit list's offset applied (so, as ffmpeg reports them, a B-frame file's first dts is negative and its first
/// pts 0). To the writer the offset is the sample's position in the mdat payload instead.
public struct Mp4FileSample: Sendable, Equatable {
    public var offset: Int64
    public var size: Int
    public var dts: Int64
    public var pts: Int64
    /// stts / trun duration; the writer uses it only for a track's last sample.
    public var duration: UInt32
    public var isSync: Bool

    public init(offset: Int64, size: Int, dts: Int64, pts: Int64, duration: UInt32, isSync: Bool) {
        self.offset = offset
        self.size = size
        self.dts = dts
        self.pts = pts
        self.duration = duration
        self.isSync = isSync
    }
}
