/// One track as every muxer, demuxer and ingest of the formats libraries describes it: the codec, its own
/// configuration record (avcC / hvcC payload for video, AudioSpecificConfig for AAC, OpusHead or nothing for
/// Opus; empty while unknown), and the sizes and rates, which matter only where the record does not give them.
public struct MediaTrack: Sendable, Equatable {
    public var codec: Codec
    public var config: [UInt8]
    public var width: Int
    public var height: Int
    /// Audio sample rate in Hz (video tracks leave it 0; the bus clocks video at 90 kHz).
    public var sampleRate: Int
    public var channels: Int

    public init(codec: Codec, config: [UInt8] = [], width: Int = 0, height: Int = 0, sampleRate: Int = 0, channels: Int = 0) {
        self.codec = codec
        self.config = config
        self.width = width
        self.height = height
        self.sampleRate = sampleRate
        self.channels = channels
    }
}
