import MediaFormats

/// VP8 over RTP (RFC 7741): one frame cut into payloads of at most the budget, each behind a payload
/// descriptor with a 15-bit PictureID that counts frames; the first has S set with partition 0, the last has
/// the marker. Partitions are not aligned to packets (RFC 7741 4.3 allows it).
public struct Vp8RtpPacketizer: RtpPacketizer {
    private var core: VpxChunkPacketizer

    /// Nil if `maxPayload` cannot hold the 4-byte descriptor plus one byte.
    public init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = 1400, firstSequence: UInt16 = 0, firstPictureId: UInt16 = 0) {
        guard let core = VpxChunkPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence,
                                            firstPictureId: firstPictureId, descriptorSize: 4) else { return nil }
        self.core = core
    }

    public var payloadType: UInt8 { core.writer.payloadType }
    public var ssrc: UInt32 { core.writer.ssrc }
    public var sequence: UInt16 { core.writer.sequence }

    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        core.packetize(frame, timestamp: timestamp, emit: emit) { first, _, id, out in
            Vp8PayloadDescriptor(start: first, pictureId: id).append(to: &out)
        }
    }
}

/// Rebuilds VP8 frames: a frame opens at a packet with S set and partition 0 and closes at the marker (or
/// where the next frame opens, if a sender left the marker out). A loss drops the frame being built; packets
/// until the next frame start are discarded.
public struct Vp8RtpDepacketizer: RtpDepacketizer {
    private var assembler = VpxFrameAssembler()
    /// Payloads too short for their descriptor.
    public private(set) var malformedPackets = 0
    private var badHeaders = 0
    /// Frames dropped because a packet was lost, they grew past the bound, or their header was not VP8.
    public var droppedFrames: Int { badHeaders + assembler.droppedFrames }

    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        guard let d = Vp8PayloadDescriptor(packet.payload) else {
            malformedPackets += 1
            assembler.drop()
            return []
        }
        var out: [RtpAccessUnit] = []
        if d.start, d.partition == 0 {
            if assembler.assembling, let done = finished() { out.append(done) }
            assembler.begin(timestamp: packet.timestamp)
        }
        guard assembler.append(packet.payload.dropFirst(d.size), timestamp: packet.timestamp) else { return out }
        if packet.marker, let done = finished() { out.append(done) }
        return out
    }

    public mutating func lost() { assembler.drop() }

    public mutating func takeParameterSets() -> [[UInt8]] { [] }

    private mutating func finished() -> RtpAccessUnit? {
        assembler.finish()
        guard let header = Vp8FrameHeader(assembler.frame[...]) else {
            badHeaders += 1
            return nil
        }
        return RtpAccessUnit(timestamp: assembler.timestamp, key: header.key, data: assembler.frame)
    }
}
