/// The VP9 payload descriptor (RFC 9628 4.2), flexible and non-flexible modes. Only what a forwarder needs is
/// kept: frame boundaries, whether the picture is predicted, its PictureID; layer fields and the scalability
/// structure are read past.
public struct Vp9PayloadDescriptor: Sendable, Equatable {
    /// P: the picture refers to an earlier one (not a key frame of the base layer).
    public var interPicturePredicted: Bool
    /// B and E: the packet begins / ends a frame.
    public var beginsFrame: Bool
    public var endsFrame: Bool
    public var flexible: Bool
    public var pictureId: UInt16?
    /// The spatial layer (SID) when layer indices are present, else 0.
    public var spatialId: UInt8 = 0
    /// Bytes the descriptor takes: the VP9 payload follows.
    public var size: Int

    /// What this server sends: flexible mode, a 15-bit PictureID, and a predicted picture referring to the one
    /// before it (P_DIFF 1), which describes a single-layer stream whatever its encoder did inside a frame.
    public init(predicted: Bool, begins: Bool, ends: Bool, pictureId: UInt16) {
        interPicturePredicted = predicted
        beginsFrame = begins
        endsFrame = ends
        flexible = true
        self.pictureId = pictureId & 0x7FFF
        size = predicted ? 4 : 3
    }

    /// Nil when the payload ends inside the descriptor or leaves no VP9 data after it.
    public init?(_ p: ArraySlice<UInt8>) {
        var i = p.startIndex
        guard i < p.endIndex else { return nil }
        let b0 = p[i]
        i += 1
        interPicturePredicted = b0 & 0x40 != 0
        flexible = b0 & 0x10 != 0
        beginsFrame = b0 & 0x08 != 0
        endsFrame = b0 & 0x04 != 0
        if b0 & 0x80 != 0 {
            guard let id = VpxPictureId.read(p, at: &i) else { return nil }
            pictureId = id
        }
        if b0 & 0x20 != 0 {
            guard i < p.endIndex else { return nil }
            spatialId = (p[i] >> 1) & 0x07
            // Non-flexible mode adds TL0PICIDX.
            i += flexible ? 1 : 2
        }
        if flexible, interPicturePredicted {
            // Up to three P_DIFF bytes, N set on all but the last.
            for _ in 0..<3 {
                guard i < p.endIndex else { return nil }
                let more = p[i] & 0x01 != 0
                i += 1
                if !more { break }
            }
        }
        if b0 & 0x02 != 0 {
            guard let ss = Self.scalabilityStructureSize(p[min(i, p.endIndex)...]) else { return nil }
            i += ss
        }
        guard i < p.endIndex else { return nil }
        size = i - p.startIndex
    }

    /// RFC 9628 4.2.1: N_S, Y and G, the sizes of each spatial layer, then the picture group.
    static func scalabilityStructureSize(_ p: ArraySlice<UInt8>) -> Int? {
        var i = p.startIndex
        guard i < p.endIndex else { return nil }
        let head = p[i]
        i += 1
        let layers = Int(head >> 5) + 1
        if head & 0x10 != 0 { i += 4 * layers }
        if head & 0x08 != 0 {
            guard i < p.endIndex else { return nil }
            let pictures = Int(p[i])
            i += 1
            for _ in 0..<pictures {
                guard i < p.endIndex else { return nil }
                let refs = Int((p[i] >> 2) & 0x03)
                i += 1 + refs
            }
        }
        guard i <= p.endIndex else { return nil }
        return i - p.startIndex
    }

    public func append(to out: inout [UInt8]) {
        let b0: UInt8 = 0x80 | (interPicturePredicted ? 0x40 : 0) | 0x10 | (beginsFrame ? 0x08 : 0) | (endsFrame ? 0x04 : 0)
        out += [b0] + VpxPictureId.bytes(pictureId ?? 0)
        // P_DIFF 1, no further reference.
        if interPicturePredicted { out.append(0x02) }
    }
}
