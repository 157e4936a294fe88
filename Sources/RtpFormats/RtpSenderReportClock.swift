/// What an RTP sender's RTCP sender report (RFC 3550 6.4.1) tells: the packets and payload octets sent so far,
/// and the RTP time of the report's instant, extrapolated from the last packet's timestamp by the wall time
/// since it left (the report is rarely sent just as a frame goes out).
public struct RtpSenderReportClock: Sendable {
    public let ssrc: UInt32
    public let clock: RtpClock
    /// Both wrap modulo 2^32 as RFC 3550 6.4.1 says.
    public private(set) var packets: UInt32 = 0
    public private(set) var octets: UInt32 = 0
    private var lastTimestamp: UInt32 = 0
    private var lastSentUs: Int64 = 0

    public init(ssrc: UInt32, clock: RtpClock) {
        self.ssrc = ssrc
        self.clock = clock
    }

    public var hasSent: Bool { packets != 0 || octets != 0 }

    /// One RTP packet (header included) left at `unixUs`; malformed bytes are not counted.
    public mutating func sent(_ packet: ArraySlice<UInt8>, unixUs: Int64) {
        guard let p = RtpPacket(packet) else { return }
        packets &+= 1
        octets &+= UInt32(truncatingIfNeeded: p.payload.count)
        lastTimestamp = p.timestamp
        lastSentUs = unixUs
    }

    /// The report for the instant `unixUs` (wall clock, microseconds since 1970); nil before anything was sent,
    /// as a sender report of no packets tells the receiver nothing to synchronise on.
    public func report(unixUs: Int64) -> RtcpSenderReport? {
        guard hasSent else { return nil }
        let elapsed = clock.ticks(microseconds: max(0, unixUs - lastSentUs))
        return RtcpSenderReport(ssrc: ssrc, ntpTime: NtpTime(unixMicroseconds: unixUs),
                                rtpTime: lastTimestamp &+ UInt32(truncatingIfNeeded: elapsed), packetCount: packets, octetCount: octets)
    }
}
