/// One RTP packet (RFC 3550 5.1) with its payload borrowed from the datagram it came in.
public struct RtpPacket: Sendable, Equatable {
    public static let headerSize = 12

    public var marker: Bool
    public var payloadType: UInt8
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var payload: ArraySlice<UInt8>

    /// `payloadType` keeps its low 7 bits.
    public init(marker: Bool, payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32, payload: ArraySlice<UInt8>) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payload = payload
    }

    /// Parses one RTP packet (RFC 3550 5.1): version 2 only, CSRCs, header extension and padding removed; nil if malformed.
    public init?(_ bytes: ArraySlice<UInt8>) {
        guard bytes.count >= Self.headerSize else { return nil }
        let s = bytes.startIndex
        let b0 = bytes[s], b1 = bytes[s + 1]
        guard b0 >> 6 == 2 else { return nil }
        var start = s + Self.headerSize + Int(b0 & 0x0F) * 4
        guard start <= bytes.endIndex else { return nil }
        if b0 & 0x10 != 0 {
            // RFC 3550 5.3.1: 16-bit profile field, then the extension length in 32-bit words.
            guard bytes.endIndex - start >= 4 else { return nil }
            let words = Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
            guard bytes.endIndex - start - 4 >= words * 4 else { return nil }
            start += 4 + words * 4
        }
        var end = bytes.endIndex
        if b0 & 0x20 != 0 {
            // The last octet counts the padding including itself, so zero is as malformed as too many.
            guard end > start else { return nil }
            let padding = Int(bytes[end - 1])
            guard padding >= 1, padding <= end - start else { return nil }
            end -= padding
        }
        self.marker = b1 & 0x80 != 0
        self.payloadType = b1 & 0x7F
        self.sequence = UInt16(bytes[s + 2]) << 8 | UInt16(bytes[s + 3])
        self.timestamp = Self.u32(bytes, at: s + 4)
        self.ssrc = Self.u32(bytes, at: s + 8)
        self.payload = bytes[start..<end]
    }

    /// Appends the 12-byte header (no CSRC, no extension).
    public static func writeHeader(into out: inout [UInt8], marker: Bool, payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32) {
        out.append(0x80)
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        out.append(UInt8(sequence >> 8))
        out.append(UInt8(truncatingIfNeeded: sequence))
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: timestamp >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: ssrc >> UInt32(shift))) }
    }

    /// The packet on the wire (header without CSRC or extension, then the payload).
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerSize + payload.count)
        Self.writeHeader(into: &out, marker: marker, payloadType: payloadType, sequence: sequence, timestamp: timestamp, ssrc: ssrc)
        out.append(contentsOf: payload)
        return out
    }

    /// True when a datagram on a shared port is RTCP rather than RTP (RFC 5761 4): RTCP packet types
    /// 192...223 fall where an RTP header has the marker bit set and payload type 64...95.
    public static func isRtcp(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count >= 2 else { return false }
        return (192...223).contains(bytes[bytes.startIndex + 1])
    }

    private static func u32(_ b: ArraySlice<UInt8>, at i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
