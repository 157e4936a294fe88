/// RTP for payloads that are opaque byte runs per frame (a PS packet, TS packets): the frame split into
/// payloads of at most `maxPayload` bytes, all with the frame's timestamp, the marker on the last (the
/// framing GB28181 receivers, ZLMediaKit's among them, reassemble by).
public struct RtpChunkPacketizer: Sendable {
    public static let defaultMaxPayload = 1400

    public let payloadType: UInt8
    public let ssrc: UInt32
    public let maxPayload: Int
    public private(set) var sequence: UInt16
    public private(set) var packets = 0
    public private(set) var bytes = 0

    public init(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = defaultMaxPayload, firstSequence: UInt16 = 0) {
        self.payloadType = payloadType & 0x7F
        self.ssrc = ssrc
        self.maxPayload = max(1, maxPayload)
        sequence = firstSequence
    }

    /// The RTP packets of one frame; none for an empty frame.
    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(frame.count / maxPayload + 1)
        var rest = frame
        while !rest.isEmpty {
            let chunk = rest.prefix(maxPayload)
            rest = rest.dropFirst(chunk.count)
            var p: [UInt8] = []
            p.reserveCapacity(RtpPacket.headerSize + chunk.count)
            RtpPacket.writeHeader(into: &p, marker: rest.isEmpty, payloadType: payloadType, sequence: sequence, timestamp: timestamp, ssrc: ssrc)
            p += chunk
            sequence &+= 1
            packets += 1
            bytes += p.count
            out.append(p)
        }
        return out
    }

    /// RFC 4571 framing for RTP over TCP: a two-byte big-endian length before each packet.
    public static func rfc4571(_ packet: [UInt8]) -> [UInt8] {
        [UInt8((packet.count >> 8) & 0xFF), UInt8(packet.count & 0xFF)] + packet
    }
}
