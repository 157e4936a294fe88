import MediaFormats

/// VP9 over RTP (RFC 9628), single layer: one frame (or superframe) cut into payloads within the budget, each
/// behind a flexible-mode descriptor with a 15-bit PictureID counting frames; B on the first, E and the marker
/// on the last; a key frame (from the frame header) is sent as not predicted.
public struct Vp9RtpPacketizer: RtpPacketizer {
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
        guard let key = Vp9FrameHeader.isKeyFrame(frame) else { return }
        core.packetize(frame, timestamp: timestamp, emit: emit) { first, last, id, out in
            Vp9PayloadDescriptor(predicted: !key, begins: first, ends: last, pictureId: id).append(to: &out)
        }
    }
}

/// Rebuilds VP9 frames of the base spatial layer from B to E (or the marker); a loss drops the frame being
/// built and packets until the next B. A key frame is one whose first packet is not predicted.
public struct Vp9RtpDepacketizer: RtpDepacketizer {
    private var assembler = VpxFrameAssembler()
    private var key = false
    public private(set) var malformedPackets = 0
    /// Frames dropped because a packet was lost, the next began first, or they grew past the bound.
    public var droppedFrames: Int { assembler.droppedFrames }

    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        guard let d = Vp9PayloadDescriptor(packet.payload) else {
            malformedPackets += 1
            assembler.drop()
            return []
        }
        // Higher spatial layers need the layers below to decode: a single-layer forwarder keeps the base.
        guard d.spatialId == 0 else { return [] }
        if d.beginsFrame {
            assembler.drop()
            assembler.begin(timestamp: packet.timestamp)
            key = !d.interPicturePredicted
        }
        guard assembler.append(packet.payload.dropFirst(d.size), timestamp: packet.timestamp), d.endsFrame || packet.marker else { return [] }
        assembler.finish()
        return [RtpAccessUnit(timestamp: assembler.timestamp, key: key, data: assembler.frame)]
    }

    public mutating func lost() { assembler.drop() }

    public mutating func takeParameterSets() -> [[UInt8]] { [] }
}
