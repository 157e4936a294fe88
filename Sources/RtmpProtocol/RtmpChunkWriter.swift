/// Splits a message into chunks (RTMP spec 5.3.1): a type-0 header, then type-3 continuation headers.
/// Stateless on purpose: a muxed packet must be valid for every player whatever it received before.
public enum RtmpChunkWriter {
    public static func chunks(csid: UInt32, timestamp: UInt32, type: UInt8, streamId: UInt32, payload: ArraySlice<UInt8>,
                       chunkSize: Int) -> [UInt8] {
        let extended = timestamp >= 0xFF_FFFF
        let pieces = max(1, (payload.count + chunkSize - 1) / chunkSize)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 16 + (pieces - 1) * (extended ? 7 : 3))
        basicHeader(fmt: 0, csid: csid, into: &out)
        let ts = extended ? 0xFF_FFFF : timestamp
        out += [UInt8((ts >> 16) & 0xFF), UInt8((ts >> 8) & 0xFF), UInt8(ts & 0xFF)]
        let len = UInt32(payload.count)
        out += [UInt8((len >> 16) & 0xFF), UInt8((len >> 8) & 0xFF), UInt8(len & 0xFF), type]
        out += [UInt8(streamId & 0xFF), UInt8((streamId >> 8) & 0xFF), UInt8((streamId >> 16) & 0xFF), UInt8((streamId >> 24) & 0xFF)]
        let extendedBytes: [UInt8] = [UInt8(timestamp >> 24), UInt8((timestamp >> 16) & 0xFF), UInt8((timestamp >> 8) & 0xFF), UInt8(timestamp & 0xFF)]
        if extended { out += extendedBytes }
        var i = payload.startIndex
        var first = true
        while i < payload.endIndex || first {
            if !first {
                basicHeader(fmt: 3, csid: csid, into: &out)
                if extended { out += extendedBytes }
            }
            let n = min(chunkSize, payload.endIndex - i)
            out.append(contentsOf: payload[i..<(i + n)])
            i += n
            first = false
        }
        return out
    }

    private static func basicHeader(fmt: UInt8, csid: UInt32, into out: inout [UInt8]) {
        if csid < 64 {
            out.append(fmt << 6 | UInt8(csid))
        } else if csid < 320 {
            out += [fmt << 6, UInt8(csid - 64)]
        } else {
            let v = csid - 64
            out += [fmt << 6 | 1, UInt8(v & 0xFF), UInt8(v >> 8)]
        }
    }

    // MARK: protocol control and user control messages (RTMP spec 5.4, 6.2), on chunk stream 2

    public static func control(type: UInt8, _ body: [UInt8]) -> [UInt8] {
        chunks(csid: 2, timestamp: 0, type: type, streamId: 0, payload: body[...], chunkSize: 128)
    }

    public static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    public static func setChunkSize(_ n: Int) -> [UInt8] { control(type: RtmpMessage.setChunkSize, be32(UInt32(n))) }
    public static func windowAckSize(_ n: UInt32) -> [UInt8] { control(type: RtmpMessage.windowAckSize, be32(n)) }
    public static func setPeerBandwidth(_ n: UInt32) -> [UInt8] { control(type: RtmpMessage.setPeerBandwidth, be32(n) + [2]) }
    public static func acknowledgement(_ n: UInt32) -> [UInt8] { control(type: RtmpMessage.acknowledgement, be32(n)) }
    /// User control: Stream Begin (0), Stream EOF (1), Stream Dry (2), Stream Is Recorded (4), Ping Response (7).
    public static func userControl(_ event: UInt16, _ value: UInt32) -> [UInt8] {
        control(type: RtmpMessage.userControl, [UInt8(event >> 8), UInt8(event & 0xFF)] + be32(value))
    }
}

/// When to acknowledge received bytes (RTMP spec 5.4.3): once per peer window.
public struct RtmpAcknowledger {
    public private(set) var window: UInt64 = 2_500_000
    private var last: UInt64 = 0

    public init() {}

    /// From a Window Acknowledgement Size message body.
    public mutating func setWindow(_ payload: [UInt8]) {
        guard payload.count >= 4 else { return }
        window = max(4096, UInt64(payload[0]) << 24 | UInt64(payload[1]) << 16 | UInt64(payload[2]) << 8 | UInt64(payload[3]))
    }

    /// The Acknowledgement message to send now, if a window's worth has arrived since the last one.
    public mutating func due(_ consumed: UInt64) -> [UInt8]? {
        guard consumed - last >= window else { return nil }
        last = consumed
        return RtmpChunkWriter.acknowledgement(UInt32(truncatingIfNeeded: consumed))
    }
}
