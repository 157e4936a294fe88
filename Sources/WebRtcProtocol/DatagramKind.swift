import RtpFormats

/// What a datagram on the shared port is, by its first byte (RFC 7983 7; RFC 5761 4 for RTCP within RTP).
public enum DatagramKind: Sendable, Equatable {
    case stun
    case dtls
    case rtp
    case rtcp
    case unknown

    public init(_ bytes: ArraySlice<UInt8>) {
        guard let first = bytes.first else { self = .unknown; return }
        switch first {
        case 0...3: self = .stun
        case 20...63: self = .dtls
        case 128...191: self = RtpPacket.isRtcp(bytes) ? .rtcp : .rtp
        default: self = .unknown
        }
    }
}
