/// RTP packets out of a TCP byte stream, in either framing GB28181 devices use, told apart by the first
/// bytes: RFC 4571's two-byte length, or RTSP's interleaved `$`, channel, two-byte length (RFC 2326 10.12).
///
/// A corrupt length would desynchronise the stream for good, so each packet's RTP header is checked as soon
/// as its first 12 bytes are in (version 2, and once known the SSRC of the first good packet): a header
/// that fails, or a length below an RTP header, makes the framer search forward for the next plausible
/// prefix followed by such a header, instead of dropping the connection or waiting for 64 KB of garbage.
public struct RtpTcpFramer: Sendable {
    public enum Framing: Sendable, Equatable { case rfc4571, interleaved }

    public private(set) var framing: Framing?
    /// The SSRC packets must carry to be trusted when resynchronising; learned from the first good packet.
    public var expectedSsrc: UInt32?
    public private(set) var resyncs = 0
    public private(set) var skippedBytes = 0
    /// Bytes not yet framed, bounded by one largest packet plus its prefix.
    private var buffer: [UInt8] = []
    /// Set from a failed check to the next good packet, so one run of garbage counts as one resync.
    private var resyncing = false

    public init(expectedSsrc: UInt32? = nil) { self.expectedSsrc = expectedSsrc }

    public var buffered: Int { buffer.count }

    /// Complete RTP (or RTCP) packets, in order.
    public mutating func push(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        buffer.append(contentsOf: bytes)
        let b = buffer
        var i = 0
        var out: [ArraySlice<UInt8>] = []
        if framing == nil {
            guard b.count >= 5 else { return [] }
            framing = b[0] == UInt8(ascii: "$") && b[4] >> 6 == 2 ? .interleaved : .rfc4571
        }
        let prefix = framing == .interleaved ? 4 : 2
        while b.count - i >= prefix {
            guard plausiblePrefix(b, i) else {
                resync(b, &i, prefix: prefix)
                continue
            }
            let length = Int(b[i + prefix - 2]) << 8 | Int(b[i + prefix - 1])
            guard length >= 12 else {
                resync(b, &i, prefix: prefix)
                continue
            }
            // Check the header before waiting for the body: a garbage length must not hold up the stream.
            let headerAvailable = min(b.count - i - prefix, 12)
            guard headerAvailable >= 12 || b.count - i - prefix >= length else { break }
            if headerAvailable >= 12, !plausibleHeader(b, i + prefix, length: length) {
                resync(b, &i, prefix: prefix)
                continue
            }
            guard b.count - i - prefix >= length else { break }
            let packet = b[(i + prefix)..<(i + prefix + length)]
            if expectedSsrc == nil, !RtpPacket.isRtcp(packet) { expectedSsrc = Self.ssrc(b, i + prefix) }
            out.append(packet)
            resyncing = false
            i += prefix + length
        }
        if i > 0 { buffer.removeFirst(min(i, buffer.count)) }
        return out
    }

    private func plausiblePrefix(_ b: [UInt8], _ i: Int) -> Bool {
        framing != .interleaved || b[i] == UInt8(ascii: "$")
    }

    /// Version 2, and an RTP packet carries the expected SSRC, or an RTCP packet's own length fits the frame.
    private func plausibleHeader(_ b: [UInt8], _ at: Int, length: Int) -> Bool {
        guard b[at] >> 6 == 2 else { return false }
        if (192...223).contains(b[at + 1]) { return ((Int(b[at + 2]) << 8 | Int(b[at + 3])) + 1) * 4 <= length }
        guard let expectedSsrc else { return true }
        return Self.ssrc(b, at) == expectedSsrc
    }

    /// Skips to the next offset where a prefix with a plausible length is followed by a plausible header
    /// (or to where too few bytes remain to tell).
    private mutating func resync(_ b: [UInt8], _ i: inout Int, prefix: Int) {
        if !resyncing { resyncs += 1 }
        resyncing = true
        let start = i
        var j = i + 1
        while b.count - j >= prefix + 12 {
            let length = Int(b[j + prefix - 2]) << 8 | Int(b[j + prefix - 1])
            if plausiblePrefix(b, j), length >= 12, plausibleHeader(b, j + prefix, length: length) { break }
            j += 1
        }
        i = min(j, b.count)
        skippedBytes += i - start
    }

    private static func ssrc(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at + 8]) << 24 | UInt32(b[at + 9]) << 16 | UInt32(b[at + 10]) << 8 | UInt32(b[at + 11])
    }
}
