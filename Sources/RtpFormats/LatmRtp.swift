/// MP4A-LATM over RTP (RFC 6416) with cpresent=0: depacketizing only. Each RTP payload is an AudioMuxElement,
/// or a fragment of one spanning packets that share a timestamp, the marker on the last. An element holds
/// `subFrames` AAC frames, each behind a PayloadLengthInfo (bytes summed while they are 0xFF).
public struct LatmRtpDepacketizer: RtpDepacketizer {
    /// An element bigger than this is dropped (64 subframes of 8-channel AAC stay well below).
    public static let maxElementSize = 1 << 19

    public let config: LatmStreamMuxConfig
    private let frameDuration: UInt32
    private var element: [UInt8] = []
    private var elementTimestamp: UInt32?
    /// After a loss, packets are dropped until one ends an element: a middle fragment cannot be parsed.
    private var resyncing = false

    /// AudioMuxElements dropped: cut by loss, malformed or oversized.
    public private(set) var droppedElements = 0
    /// Bytes of the element being reassembled (bounded by `maxElementSize`).
    public var bufferedBytes: Int { element.count }

    /// `clockRate` converts the 1024-sample frame duration to RTP ticks (the clock may differ from the sampling rate).
    public init(config: LatmStreamMuxConfig, clockRate: Int) {
        self.config = config
        let rate = config.audioSpecificConfig.sampleRate
        let ticks = (1...(1 << 32)).contains(clockRate) && rate > 0 ? 1024 * clockRate / rate : 1024
        self.frameDuration = UInt32(clamping: ticks)
    }

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        var out: [RtpAccessUnit] = []
        if let ts = elementTimestamp, ts != packet.timestamp {
            // The previous element's marker never came: keep what of it parses.
            finish(into: &out)
        }
        if resyncing {
            guard packet.marker else { return out }
            resyncing = false
            // Only a packet that is a whole element on its own can be told apart from a lost element's tail.
            if !config.otherDataPresent, let frames = parse(packet.payload, exact: true) {
                emit(frames, timestamp: packet.timestamp, into: &out)
            } else {
                droppedElements += 1
            }
            return out
        }
        guard element.count + packet.payload.count <= Self.maxElementSize else {
            drop()
            resyncing = !packet.marker
            return out
        }
        element.append(contentsOf: packet.payload)
        elementTimestamp = packet.timestamp
        if packet.marker { finish(into: &out) }
        return out
    }

    public mutating func lost() {
        drop()
        resyncing = true
    }

    public mutating func takeParameterSets() -> [[UInt8]] { [] }

    private mutating func finish(into out: inout [RtpAccessUnit]) {
        if let ts = elementTimestamp {
            if let frames = parse(element[...], exact: false) {
                emit(frames, timestamp: ts, into: &out)
            } else {
                droppedElements += 1
            }
        }
        element.removeAll(keepingCapacity: element.capacity <= 1 << 16)
        elementTimestamp = nil
    }

    private mutating func drop() {
        if elementTimestamp != nil { droppedElements += 1 }
        element.removeAll(keepingCapacity: element.capacity <= 1 << 16)
        elementTimestamp = nil
    }

    private func emit(_ frames: [ArraySlice<UInt8>], timestamp: UInt32, into out: inout [RtpAccessUnit]) {
        for (k, frame) in frames.enumerated() where !frame.isEmpty {
            out.append(RtpAccessUnit(timestamp: timestamp &+ UInt32(truncatingIfNeeded: k) &* frameDuration, key: true, data: Array(frame)))
        }
    }

    /// The AAC frames of one or more AudioMuxElements. `exact`: nil unless every byte is accounted for; otherwise the
    /// frames before a malformed length are kept. Nil when nothing parses.
    private func parse(_ bytes: ArraySlice<UInt8>, exact: Bool) -> [ArraySlice<UInt8>]? {
        var frames: [ArraySlice<UInt8>] = []
        var i = bytes.startIndex
        elements: while i < bytes.endIndex {
            for _ in 0..<config.subFrames {
                var length = 0
                while true {
                    guard i < bytes.endIndex else { break elements }
                    let b = bytes[i]
                    i += 1
                    length += Int(b)
                    if b != 0xFF { break }
                }
                guard length <= bytes.endIndex - i else { break elements }
                frames.append(bytes[i..<(i + length)])
                i += length
            }
            // Other data has a length only the bit stream knows: nothing after it can be trusted as an element.
            if config.otherDataPresent { return frames.isEmpty ? nil : frames }
        }
        if exact && (i != bytes.endIndex || frames.count % config.subFrames != 0) { return nil }
        return frames.isEmpty ? nil : frames
    }
}
