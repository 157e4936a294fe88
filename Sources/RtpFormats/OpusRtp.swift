/// Opus over RTP (RFC 7587): exactly one Opus packet per RTP packet, never fragmented, so a frame above the
/// payload budget still goes out whole (an Opus packet is at most 1275 bytes per frame, RFC 6716 3.2.1). The
/// marker stays clear: no DTX talkspurts are signalled. A frame that could not fit any RTP packet is not sent.
public struct OpusRtpPacketizer: RtpPacketizer {
    private var writer: RtpPacketWriter

    public init(payloadType: UInt8, ssrc: UInt32, firstSequence: UInt16 = 0) {
        writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: 1276)
    }

    public var payloadType: UInt8 { writer.payloadType }
    public var ssrc: UInt32 { writer.ssrc }
    public var sequence: UInt16 { writer.sequence }

    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        guard !frame.isEmpty, frame.count <= RtpPacketWriter.maxPayloadLimit else { return }
        writer.send(marker: false, timestamp: timestamp, emit: emit) { $0.append(contentsOf: frame) }
    }
}

/// Each Opus RTP payload is one Opus packet, i.e. one bus frame.
public struct OpusRtpDepacketizer: RtpDepacketizer {
    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        guard !packet.payload.isEmpty else { return [] }
        return [RtpAccessUnit(timestamp: packet.timestamp, key: true, data: Array(packet.payload))]
    }

    /// Every packet stands alone: nothing partial to drop.
    public mutating func lost() {}

    public mutating func takeParameterSets() -> [[UInt8]] { [] }
}
