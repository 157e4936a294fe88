/// G.711 A-law / µ-law over RTP (RFC 3551 4.5.14): one byte per sample per channel, payload as is. A frame bigger
/// than the budget is split on sample boundaries, each packet's timestamp advanced by the samples before it.
/// The marker stays clear: the stream is continuous, with no talkspurts to flag (RFC 3551 4.1).
public struct G711RtpPacketizer: RtpPacketizer {
    private var writer: RtpPacketWriter
    private let channels: Int
    private let maxPayload: Int

    /// Nil unless `channels` >= 1 and `maxPayload` holds at least one sample of every channel.
    public init?(payloadType: UInt8, ssrc: UInt32, channels: Int = 1, maxPayload: Int = 1400, firstSequence: UInt16 = 0) {
        guard channels >= 1, maxPayload >= channels else { return nil }
        self.writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: maxPayload)
        self.channels = channels
        // Whole sample frames only, so a packet never splits the channels of one instant.
        let budget = min(maxPayload, RtpPacketWriter.maxPayloadLimit)
        self.maxPayload = budget - budget % channels
    }

    public var payloadType: UInt8 { writer.payloadType }
    public var ssrc: UInt32 { writer.ssrc }
    public var sequence: UInt16 { writer.sequence }

    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        var offset = frame.startIndex
        while offset < frame.endIndex {
            let end = min(offset + maxPayload, frame.endIndex)
            let ts = timestamp &+ UInt32(truncatingIfNeeded: (offset - frame.startIndex) / channels)
            writer.send(marker: false, timestamp: ts, emit: emit) { $0.append(contentsOf: frame[offset..<end]) }
            offset = end
        }
    }
}

/// Each G.711 packet's payload is one bus frame.
public struct G711RtpDepacketizer: RtpDepacketizer {
    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        guard !packet.payload.isEmpty else { return [] }
        return [RtpAccessUnit(timestamp: packet.timestamp, key: true, data: Array(packet.payload))]
    }

    /// Every packet stands alone: nothing partial to drop.
    public mutating func lost() {}

    public mutating func takeParameterSets() -> [[UInt8]] { [] }
}
