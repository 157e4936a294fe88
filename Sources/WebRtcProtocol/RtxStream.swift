/// The sending side of one RTX stream (RFC 4588): its payload type and SSRC, and the sequence numbers it
/// counts on its own (the RTX stream is an RTP stream of its own, not a copy of the original's numbering).
public struct RtxStream: Sendable, Equatable {
    public let payloadType: UInt8
    public let ssrc: UInt32
    public private(set) var nextSequence: UInt16

    public init(payloadType: UInt8, ssrc: UInt32, firstSequence: UInt16) {
        self.payloadType = payloadType
        self.ssrc = ssrc
        nextSequence = firstSequence
    }

    /// The next RTX packet repairing `original` (unencrypted); nil, and no sequence number used, when the
    /// original is malformed.
    public mutating func repair(_ original: ArraySlice<UInt8>) -> [UInt8]? {
        guard let out = RtxPacket.wrap(original, payloadType: payloadType, ssrc: ssrc, sequence: nextSequence) else { return nil }
        nextSequence &+= 1
        return out
    }
}
