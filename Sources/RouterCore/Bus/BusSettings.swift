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
    public init() {}
}
