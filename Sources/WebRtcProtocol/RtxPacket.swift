import RtpFormats

/// RFC 4588 4 retransmission packets: the original's header with the RTX stream's payload type, SSRC and
/// sequence number, then the original sequence number (OSN), then the original payload.
public enum RtxPacket {
    /// The RTX packet that repairs `original`. Marker, timestamp, CSRCs and header extension stay as they were
    /// (RFC 4588 4: the receiver rebuilds the original from them); padding is left out (it is not payload).
    /// nil when `original` is not a well-formed RTP packet.
    public static func wrap(_ original: ArraySlice<UInt8>, payloadType: UInt8, ssrc: UInt32, sequence: UInt16) -> [UInt8]? {
        guard let packet = RtpPacket(original) else { return nil }
        let s = original.startIndex
        var out: [UInt8] = []
        out.reserveCapacity(packet.payload.endIndex - s + 2)
        // The header as far as the payload: fixed part, CSRCs, extension.
        out.append(contentsOf: original[s..<packet.payload.startIndex])
        out[0] &= ~0x20
        out[1] = (original[s + 1] & 0x80) | (payloadType & 0x7F)
        out[2] = UInt8(sequence >> 8)
        out[3] = UInt8(truncatingIfNeeded: sequence)
        for (i, shift) in [24, 16, 8, 0].enumerated() { out[8 + i] = UInt8(truncatingIfNeeded: ssrc >> UInt32(shift)) }
        out.append(UInt8(packet.sequence >> 8))
        out.append(UInt8(truncatingIfNeeded: packet.sequence))
        out.append(contentsOf: packet.payload)
        return out
    }

    /// The original packet an RTX packet carries, with the payload type and SSRC it repairs; nil when malformed
    /// or when it is a padding-only probe (nothing after the OSN).
    public static func unwrap(_ rtx: ArraySlice<UInt8>, payloadType: UInt8, ssrc: UInt32) -> RtpPacket? {
        guard let packet = RtpPacket(rtx), packet.payload.count > 2 else { return nil }
        let p = packet.payload
        return RtpPacket(marker: packet.marker, payloadType: payloadType, sequence: UInt16(p[p.startIndex]) << 8 | UInt16(p[p.startIndex + 1]),
                         timestamp: packet.timestamp, ssrc: ssrc, payload: p.dropFirst(2))
    }
}
