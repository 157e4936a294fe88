/// The VP8 payload descriptor in front of every VP8 RTP payload (RFC 7741 4.2).
public struct Vp8PayloadDescriptor: Sendable, Equatable {
    /// S: the packet starts a partition; with `partition` 0 it starts a frame.
    public var start: Bool
    /// PID: the partition index (0...7).
    public var partition: UInt8
    /// N: no other frame refers to this one.
    public var nonReference: Bool
    /// The 7- or 15-bit PictureID when present (I).
    public var pictureId: UInt16?
    public var tl0PicIdx: UInt8?
    public var temporalLayer: UInt8?
    public var keyIndex: UInt8?
    /// Bytes the descriptor takes: the VP8 payload follows.
    public var size: Int

    public init(start: Bool, partition: UInt8 = 0, nonReference: Bool = false, pictureId: UInt16? = nil) {
        self.start = start
        self.partition = partition & 0x07
        self.nonReference = nonReference
        self.pictureId = pictureId.map { $0 & 0x7FFF }
        size = pictureId == nil ? 1 : 4
    }

    /// Nil when the payload ends inside the descriptor or leaves no VP8 data after it.
    public init?(_ p: ArraySlice<UInt8>) {
        var i = p.startIndex
        guard i < p.endIndex else { return nil }
        let b0 = p[i]
        i += 1
        start = b0 & 0x10 != 0
        partition = b0 & 0x07
        nonReference = b0 & 0x20 != 0
        if b0 & 0x80 != 0 {
            guard i < p.endIndex else { return nil }
            let x = p[i]
            i += 1
            if x & 0x80 != 0 {
                guard let id = VpxPictureId.read(p, at: &i) else { return nil }
                pictureId = id
            }
            if x & 0x40 != 0 {
                guard i < p.endIndex else { return nil }
                tl0PicIdx = p[i]
                i += 1
            }
            // T and K share one byte: TID (2 bits), Y, KEYIDX (5 bits).
            if x & 0x30 != 0 {
                guard i < p.endIndex else { return nil }
                if x & 0x20 != 0 { temporalLayer = p[i] >> 6 }
                if x & 0x10 != 0 { keyIndex = p[i] & 0x1F }
                i += 1
            }
        }
        guard i < p.endIndex else { return nil }
        size = i - p.startIndex
    }

    /// The descriptor as sent: X and I set with a 15-bit PictureID when there is one (libwebrtc's receiver
    /// uses it to tell frames apart across losses), else the one mandatory byte.
    public func append(to out: inout [UInt8]) {
        let first = (nonReference ? 0x20 : 0) | (start ? 0x10 : 0) | partition
        guard let id = pictureId else { return out.append(first) }
        out += [0x80 | first, 0x80] + VpxPictureId.bytes(id)
    }
}
