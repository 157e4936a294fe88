/// What the VP8 (RFC 7741) and VP9 (RFC 9628) payload formats share: the 7- or 15-bit PictureID, a frame cut
/// into payloads behind a per-packet descriptor, and frame reassembly with a bound and loss handling.
enum VpxPictureId {
    /// Reads a PictureID at `i` (M bit: 15 bits, else 7); nil when the payload ends inside it.
    static func read(_ p: ArraySlice<UInt8>, at i: inout Int) -> UInt16? {
        guard i < p.endIndex else { return nil }
        guard p[i] & 0x80 != 0 else {
            defer { i += 1 }
            return UInt16(p[i])
        }
        guard i + 1 < p.endIndex else { return nil }
        defer { i += 2 }
        return UInt16(p[i] & 0x7F) << 8 | UInt16(p[i + 1])
    }

    /// The 15-bit form: M set.
    static func bytes(_ id: UInt16) -> [UInt8] { [0x80 | UInt8((id >> 8) & 0x7F), UInt8(id & 0xFF)] }
}

/// A frame cut into payloads of at most the budget less the descriptor, the marker on the last, and a
/// 15-bit PictureID that counts frames.
struct VpxChunkPacketizer: Sendable {
    private(set) var writer: RtpPacketWriter
    private let chunk: Int
    private var pictureId: UInt16

    /// Nil if `maxPayload` cannot hold `descriptorSize` bytes plus one.
    init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int, firstSequence: UInt16, firstPictureId: UInt16, descriptorSize: Int) {
        let budget = min(maxPayload, RtpPacketWriter.maxPayloadLimit)
        guard budget > descriptorSize else { return nil }
        writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: budget)
        chunk = budget - descriptorSize
        pictureId = firstPictureId & 0x7FFF
    }

    /// `descriptor(first, last, pictureId, &out)` writes each packet's descriptor.
    mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void,
                            descriptor: (Bool, Bool, UInt16, inout [UInt8]) -> Void) {
        guard !frame.isEmpty else { return }
        var at = frame.startIndex
        while at < frame.endIndex {
            let end = min(frame.endIndex, at + chunk)
            let (first, last, id) = (at == frame.startIndex, end == frame.endIndex, pictureId)
            writer.send(marker: last, timestamp: timestamp, emit: emit) { out in
                descriptor(first, last, id, &out)
                out.append(contentsOf: frame[at..<end])
            }
            at = end
        }
        pictureId = (pictureId &+ 1) & 0x7FFF
    }
}

/// One frame being rebuilt: opened at a frame start, appended to while the timestamp holds, bounded.
struct VpxFrameAssembler: Sendable {
    /// Bound on one frame: far above any frame of a sane VP8/VP9 stream.
    static let maxFrameBytes = 8 << 20

    private(set) var frame: [UInt8] = []
    private(set) var timestamp: UInt32 = 0
    private(set) var assembling = false
    /// Frames dropped because a packet was lost, the next frame began first, or they grew past the bound.
    private(set) var droppedFrames = 0

    mutating func begin(timestamp: UInt32) {
        frame.removeAll(keepingCapacity: true)
        self.timestamp = timestamp
        assembling = true
    }

    /// Appends a continuation; false (and the frame dropped) past the bound, false when no frame of this
    /// timestamp is open.
    mutating func append(_ data: ArraySlice<UInt8>, timestamp: UInt32) -> Bool {
        guard assembling, timestamp == self.timestamp else { return false }
        guard frame.count + data.count <= Self.maxFrameBytes else {
            drop()
            return false
        }
        frame.append(contentsOf: data)
        return true
    }

    /// The frame is complete: no longer open.
    mutating func finish() { assembling = false }

    mutating func drop() {
        if assembling { droppedFrames += 1 }
        assembling = false
        frame.removeAll(keepingCapacity: true)
    }
}
