import MediaFormats

/// Generic NACK (RFC 4585 6.2.1): the sequence numbers a receiver lost, packed as PID + BLP pairs.
public struct RtcpNack: Sendable, Equatable {
    public var senderSsrc: UInt32
    public var mediaSsrc: UInt32
    /// Lost sequence numbers in the order of the FCI entries.
    public var lost: [UInt16]

    public init(senderSsrc: UInt32, mediaSsrc: UInt32, lost: [UInt16]) {
        self.senderSsrc = senderSsrc
        self.mediaSsrc = mediaSsrc
        self.lost = lost
    }

    /// FCI entries: each covers its PID and the 16 following sequence numbers (bit i of BLP = PID + i + 1).
    /// `lost` is taken in order, so callers pass it sorted in sequence (wrap-aware) order.
    var entries: [(pid: UInt16, blp: UInt16)] {
        var out: [(UInt16, UInt16)] = []
        for seq in lost {
            if let last = out.last {
                let distance = seq &- last.0
                if distance >= 1, distance <= 16 {
                    out[out.count - 1].1 |= 1 << (distance - 1)
                    continue
                }
            }
            out.append((seq, 0))
        }
        return out
    }

    public func encode() -> [UInt8] {
        let fci = entries
        var w = ByteWriter(capacity: 12 + 4 * fci.count)
        RtcpFeedbackHeader.write(&w, fmt: 1, type: RtcpFeedbackHeader.rtpfb, words: 2 + fci.count, sender: senderSsrc, media: mediaSsrc)
        for e in fci { w.u16(e.pid); w.u16(e.blp) }
        return w.bytes
    }

    init?(sender: UInt32, media: UInt32, fci: ArraySlice<UInt8>) {
        guard fci.count % 4 == 0 else { return nil }
        var r = ByteReader(fci)
        var lost: [UInt16] = []
        while let pid = r.u16(), let blp = r.u16() {
            lost.append(pid)
            for bit in 0..<16 where blp & (1 << bit) != 0 { lost.append(pid &+ UInt16(bit + 1)) }
        }
        self.init(senderSsrc: sender, mediaSsrc: media, lost: lost)
    }
}

/// Full Intra Request (RFC 5104 4.3.1): one entry per media sender, with a sequence number the sender uses to
/// tell a new request from a repeated one.
public struct RtcpFir: Sendable, Equatable {
    public var senderSsrc: UInt32
    public var entries: [(ssrc: UInt32, sequence: UInt8)]

    public init(senderSsrc: UInt32, entries: [(ssrc: UInt32, sequence: UInt8)]) {
        self.senderSsrc = senderSsrc
        self.entries = entries
    }

    public static func == (a: RtcpFir, b: RtcpFir) -> Bool {
        a.senderSsrc == b.senderSsrc && a.entries.map { "\($0.ssrc)/\($0.sequence)" } == b.entries.map { "\($0.ssrc)/\($0.sequence)" }
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 12 + 8 * entries.count)
        // RFC 5104 4.3.1.2: the media source SSRC of the common header is unused and 0.
        RtcpFeedbackHeader.write(&w, fmt: 4, type: RtcpFeedbackHeader.psfb, words: 2 + 2 * entries.count, sender: senderSsrc, media: 0)
        for e in entries { w.u32(e.ssrc); w.u8(e.sequence); w.u8(0); w.u16(0) }
        return w.bytes
    }
}

/// The common header of RTPFB (205) and PSFB (206) messages (RFC 4585 6.1).
enum RtcpFeedbackHeader {
    static let rtpfb: UInt8 = 205
    static let psfb: UInt8 = 206

    static func write(_ w: inout ByteWriter, fmt: UInt8, type: UInt8, words: Int, sender: UInt32, media: UInt32) {
        w.u8(0x80 | fmt)
        w.u8(type)
        w.u16(UInt16(truncatingIfNeeded: words))
        w.u32(sender)
        w.u32(media)
    }
}

/// Picture Loss Indication (RFC 4585 6.3.1): no FCI.
public func rtcpPictureLossIndication(senderSsrc: UInt32, mediaSsrc: UInt32) -> [UInt8] {
    var w = ByteWriter(capacity: 12)
    RtcpFeedbackHeader.write(&w, fmt: 1, type: RtcpFeedbackHeader.psfb, words: 2, sender: senderSsrc, media: mediaSsrc)
    return w.bytes
}
