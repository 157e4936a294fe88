import MediaFormats

/// VP8 over RTP (RFC 7741): one frame cut into payloads of at most the budget, each behind a payload
/// descriptor with a 15-bit PictureID that counts frames; the first has S set with partition 0, the last has
/// the marker. Partitions are not aligned to packets (RFC 7741 4.3 allows it).
public struct Vp8RtpPacketizer: RtpPacketizer {
    private var writer: RtpPacketWriter
    private let chunk: Int
    private var pictureId: UInt16

    /// Nil if `maxPayload` cannot hold the 4-byte descriptor plus one byte.
    public init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = 1400, firstSequence: UInt16 = 0, firstPictureId: UInt16 = 0) {
        let budget = min(maxPayload, RtpPacketWriter.maxPayloadLimit)
        guard budget >= 5 else { return nil }
        writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: budget)
        chunk = budget - 4
        pictureId = firstPictureId & 0x7FFF
    }

    public var payloadType: UInt8 { writer.payloadType }
    public var ssrc: UInt32 { writer.ssrc }
    public var sequence: UInt16 { writer.sequence }

    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        guard !frame.isEmpty else { return }
        var at = frame.startIndex
        while at < frame.endIndex {
            let end = min(frame.endIndex, at + chunk)
            let descriptor = Vp8PayloadDescriptor(start: at == frame.startIndex, pictureId: pictureId)
            writer.send(marker: end == frame.endIndex, timestamp: timestamp, emit: emit) { out in
                descriptor.append(to: &out)
                out.append(contentsOf: frame[at..<end])
            }
            at = end
        }
        pictureId = (pictureId &+ 1) & 0x7FFF
    }
}

/// Rebuilds VP8 frames: a frame opens at a packet with S set and partition 0 and closes at the marker (or
/// where the next frame opens, if a sender left the marker out). A loss drops the frame being built; packets
/// until the next frame start are discarded.
public struct Vp8RtpDepacketizer: RtpDepacketizer {
    /// Bound on one frame: a VP8 frame of a 16383x16383 picture at any sane quality stays far below.
    static let maxFrameBytes = 8 << 20

    private var frame: [UInt8] = []
    private var timestamp: UInt32 = 0
    private var assembling = false
    /// Payloads too short for their descriptor.
    public private(set) var malformedPackets = 0
    /// Frames dropped because a packet was lost or they grew past the bound.
    public private(set) var droppedFrames = 0

    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        guard let d = Vp8PayloadDescriptor(packet.payload) else {
            malformedPackets += 1
            drop()
            return []
        }
        var out: [RtpAccessUnit] = []
        if d.start, d.partition == 0 {
            if assembling, let done = finished() { out.append(done) }
            frame.removeAll(keepingCapacity: true)
            timestamp = packet.timestamp
            assembling = true
        } else if !assembling || packet.timestamp != timestamp {
            return out
        }
        guard frame.count + packet.payload.count - d.size <= Self.maxFrameBytes else {
            drop()
            return out
        }
        frame.append(contentsOf: packet.payload.dropFirst(d.size))
        if packet.marker, let done = finished() { out.append(done) }
        return out
    }

    public mutating func lost() { drop() }

    public mutating func takeParameterSets() -> [[UInt8]] { [] }

    private mutating func finished() -> RtpAccessUnit? {
        assembling = false
        guard let header = Vp8FrameHeader(frame[...]) else {
            droppedFrames += 1
            return nil
        }
        return RtpAccessUnit(timestamp: timestamp, key: header.key, data: frame)
    }

    private mutating func drop() {
        if assembling { droppedFrames += 1 }
        assembling = false
        frame.removeAll(keepingCapacity: true)
    }
}
