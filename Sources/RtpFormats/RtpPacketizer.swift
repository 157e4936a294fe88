import MediaFormats

/// Turns one bus frame into RTP packets. Sequence numbers continue across calls.
public protocol RtpPacketizer: Sendable {
    var payloadType: UInt8 { get }
    var ssrc: UInt32 { get }
    /// The next sequence number to be used.
    var sequence: UInt16 { get }
    /// Calls `emit` once per packet with the complete RTP packet bytes (header + payload), in order; marker set as
    /// the codec's RFC says. The buffer is only valid during the call: copy it if it must outlive it.
    mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void)
}

public enum RtpPacketizers {
    /// The right packetizer for a codec; `maxPayload` is the RTP payload budget (default 1400). Nil for a codec
    /// without an RTP mapping here, or parameters no packet could be built with (a budget too small for the
    /// codec's fragmentation headers, G.711 without channels).
    public static func make(codec: Codec, payloadType: UInt8, ssrc: UInt32, clockRate: Int, channels: Int,
                            maxPayload: Int = 1400, firstSequence: UInt16 = 0) -> (any RtpPacketizer)? {
        switch codec {
        case .h264:
            return H264RtpPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence)
        case .h265:
            return H265RtpPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence)
        case .aac:
            return AacRtpPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence)
        case .pcma, .pcmu:
            return G711RtpPacketizer(payloadType: payloadType, ssrc: ssrc, channels: channels, maxPayload: maxPayload, firstSequence: firstSequence)
        case .opus:
            return OpusRtpPacketizer(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence)
        case .vp8:
            return Vp8RtpPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence,
                                    firstPictureId: UInt16(truncatingIfNeeded: firstSequence))
        case .vp9:
            return Vp9RtpPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence,
                                    firstPictureId: UInt16(truncatingIfNeeded: firstSequence))
        case .av1:
            return Av1RtpPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence)
        default:
            // MP3...: no RTP payload format here yet.
            return nil
        }
    }
}

/// Header fields and sequence numbering shared by every packetizer, plus the one scratch array each packet is
/// built in: after the first packet, emitting allocates nothing.
struct RtpPacketWriter: Sendable {
    /// The largest payload any packetizer produces: a packet must fit the 16-bit length of RTSP interleaved
    /// framing (RFC 2326 10.12), and this also keeps every aggregation unit size within its 16-bit field.
    static let maxPayloadLimit = 65535 - RtpPacket.headerSize

    let payloadType: UInt8
    let ssrc: UInt32
    private(set) var sequence: UInt16
    private var scratch: [UInt8] = []

    init(payloadType: UInt8, ssrc: UInt32, firstSequence: UInt16, maxPayload: Int) {
        self.payloadType = payloadType & 0x7F
        self.ssrc = ssrc
        self.sequence = firstSequence
        scratch.reserveCapacity(RtpPacket.headerSize + min(max(0, maxPayload), Self.maxPayloadLimit))
    }

    /// Builds one packet: the header, then whatever `payload` appends, handed to `emit`.
    mutating func send(marker: Bool, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void, payload: (inout [UInt8]) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        RtpPacket.writeHeader(into: &scratch, marker: marker, payloadType: payloadType, sequence: sequence, timestamp: timestamp, ssrc: ssrc)
        payload(&scratch)
        scratch.withUnsafeBytes(emit)
        sequence &+= 1
    }
}
