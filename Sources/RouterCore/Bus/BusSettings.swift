/// Bus limits from `[server]`; fixed for the life of a source.
public struct BusSettings: Sendable, Equatable {
    public var ringCapacity = 4096
    /// Frames kept before the newest GOP: readerMaxLag, as no reader at the default lag is sent older ones.
    public var ringSoftLimit = 512
    public var readerMaxLag = 512
    public var playWaitMs = 3000
    public var reconnectWindowMs = 0
    public var noneReaderMs = 20000
    /// Frames for readers on a loop are delivered at most this often (0 = at once): fewer, larger socket
    /// writes for some latency, like ZLMediaKit's mergeWriteMS and SRS's mw_latency.
    public var mergeWriteMs = 0
    /// With `mergeWriteMs` 0: audio-only batches wait for the next video frame (at most one frame interval,
    /// `AudioHold`), so players get one write per video frame instead of one per frame.
    public var coalesceAudio = true
    /// Connections that carry a stream keep TCP_NODELAY (false: Nagle's algorithm once frames flow,
    /// TcpConnection+Streaming.swift).
    public var nodelayWhileStreaming = false
    public init() {}
}
