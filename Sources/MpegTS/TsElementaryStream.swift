import MediaFormats

/// Demuxer state of one elementary PID: the PES being reassembled and what the codec needs across PES.
struct TsElementaryStream {
    /// A PES above this is dropped (8 MB: several seconds of 4K video in one frame is not a stream we carry).
    static let maxPesSize = 8 << 20

    let pid: UInt16
    let codec: Codec
    var track: Int
    var pes: [UInt8] = []
    var assembling = false
    /// random_access_indicator of the PES's first packet.
    var randomAccess = false
    /// PES_packet_length + 6 once known; nil while unknown or unbounded.
    var expectedSize: Int?
    var lastPts: Int64?
    var adts = AdtsSplitter()
    var opusNextPts: Int64?
    /// In-band parameter sets seen so far, by NAL unit type.
    var parameterSets: [UInt8: [[UInt8]]] = [:]

    init(pid: UInt16, codec: Codec, track: Int) {
        self.pid = pid
        self.codec = codec
        self.track = track
    }

    /// Forgets the PES being assembled, complete or not.
    mutating func clearPes() {
        pes.removeAll()
        assembling = false
        expectedSize = nil
    }

    /// After a loss: also the ADTS frame begun in the previous PES, which would now be joined to the wrong bytes.
    mutating func discard() {
        clearPes()
        adts.reset()
    }
}
