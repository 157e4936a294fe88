/// One reception report block (RFC 3550 6.4.1).
public struct RtcpReportBlock: Sendable, Equatable {
    public static let size = 24

    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Packets lost since the start (negative with duplicates); 24-bit signed on the wire, clamped when encoding.
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP time of the last SR received from this source (0 if none).
    public var lastSenderReport: UInt32
    /// Delay since that SR in 1/65536 s (0 if none).
    public var delaySinceLastSenderReport: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32, jitter: UInt32,
                lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// DLSR units (1/65536 s) from microseconds.
    public static func delay(microseconds: Int64) -> UInt32 {
        UInt32(clamping: max(0, microseconds) / 1_000_000 * 65536 + max(0, microseconds) % 1_000_000 * 65536 / 1_000_000)
    }

    func write(to w: inout RtcpWriter) {
        w.u32(ssrc)
        let lost = UInt32(bitPattern: min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)) & 0xFF_FFFF
        w.u32(UInt32(fractionLost) << 24 | lost)
        w.u32(extendedHighestSequence)
        w.u32(jitter)
        w.u32(lastSenderReport)
        w.u32(delaySinceLastSenderReport)
    }

    init(reading r: inout RtcpReader) {
        ssrc = r.u32()
        let word = r.u32()
        fractionLost = UInt8(word >> 24)
        // Sign-extend the 24-bit count.
        cumulativeLost = Int32(bitPattern: word << 8) >> 8
        extendedHighestSequence = r.u32()
        jitter = r.u32()
        lastSenderReport = r.u32()
        delaySinceLastSenderReport = r.u32()
    }
}

/// A sender report (PT 200).
public struct RtcpSenderReport: Sendable, Equatable {
    public var ssrc: UInt32
    public var ntpTime: NtpTime
    /// The same instant as `ntpTime` on the RTP clock of the stream.
    public var rtpTime: UInt32
    public var packetCount: UInt32
    /// Payload octets sent (headers and padding excluded).
    public var octetCount: UInt32
    /// At most 31 blocks are encoded.
    public var reports: [RtcpReportBlock]

    public init(ssrc: UInt32, ntpTime: NtpTime, rtpTime: UInt32, packetCount: UInt32, octetCount: UInt32, reports: [RtcpReportBlock] = []) {
        self.ssrc = ssrc
        self.ntpTime = ntpTime
        self.rtpTime = rtpTime
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
    }

    /// The SR, followed in the same compound packet by an SDES CNAME chunk when `cname` is given (RFC 3550 6.1
    /// wants one in every compound packet).
    public func encode(cname: String? = nil) -> [UInt8] {
        var w = RtcpWriter()
        let blocks = reports.prefix(31)
        w.header(count: blocks.count, type: RtcpPacket.senderReportType, words: 6 + 6 * blocks.count)
        w.u32(ssrc)
        w.u32(ntpTime.seconds)
        w.u32(ntpTime.fraction)
        w.u32(rtpTime)
        w.u32(packetCount)
        w.u32(octetCount)
        for b in blocks { b.write(to: &w) }
        if let cname { w.cname(ssrc: ssrc, cname) }
        return w.bytes
    }
}

/// A receiver report (PT 201).
public struct RtcpReceiverReport: Sendable, Equatable {
    public var ssrc: UInt32
    /// At most 31 blocks are encoded.
    public var reports: [RtcpReportBlock]

    public init(ssrc: UInt32, reports: [RtcpReportBlock]) {
        self.ssrc = ssrc
        self.reports = reports
    }

    public init(ssrc: UInt32, report: RtcpReportBlock) { self.init(ssrc: ssrc, reports: [report]) }

    /// The RR, followed in the same compound packet by an SDES CNAME chunk when `cname` is given.
    public func encode(cname: String? = nil) -> [UInt8] {
        var w = RtcpWriter()
        let blocks = reports.prefix(31)
        w.header(count: blocks.count, type: RtcpPacket.receiverReportType, words: 1 + 6 * blocks.count)
        w.u32(ssrc)
        for b in blocks { b.write(to: &w) }
        if let cname { w.cname(ssrc: ssrc, cname) }
        return w.bytes
    }
}

/// One packet of a compound RTCP packet.
public enum RtcpPacket: Sendable, Equatable {
    case senderReport(RtcpSenderReport)
    case receiverReport(RtcpReceiverReport)
    /// The SSRCs leaving.
    case bye([UInt32])
    /// Any other packet type (SDES 202, APP 204, feedback 205/206, XR 207...), by type.
    case other(UInt8)

    static let senderReportType: UInt8 = 200
    static let receiverReportType: UInt8 = 201
    static let sourceDescriptionType: UInt8 = 202
    static let byeType: UInt8 = 203

    /// The packets of a compound RTCP packet, in order. Parsing stops at the first packet that is not version 2 or
    /// whose length runs past the end, or whose declared content does not fit its length: what came before is kept.
    public static func parseCompound(_ bytes: ArraySlice<UInt8>) -> [RtcpPacket] {
        var out: [RtcpPacket] = []
        var i = bytes.startIndex
        while bytes.endIndex - i >= 4 {
            let b0 = bytes[i]
            let type = bytes[i + 1]
            let length = ((Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])) + 1) * 4
            guard b0 >> 6 == 2, length <= bytes.endIndex - i else { break }
            var body = bytes[(i + 4)..<(i + length)]
            if b0 & 0x20 != 0 {
                // Padding (only legal in the last packet) ends in its own length, which includes itself.
                guard let pad = body.last, pad > 0, Int(pad) <= body.count else { break }
                body = body.dropLast(Int(pad))
            }
            guard let packet = parse(type: type, count: Int(b0 & 0x1F), body: body) else { break }
            out.append(packet)
            i += length
        }
        return out
    }

    private static func parse(type: UInt8, count: Int, body: ArraySlice<UInt8>) -> RtcpPacket? {
        var r = RtcpReader(body)
        switch type {
        case senderReportType:
            guard body.count >= 24 + count * RtcpReportBlock.size else { return nil }
            let ssrc = r.u32()
            let ntp = UInt64(r.u32()) << 32 | UInt64(r.u32())
            let rtpTime = r.u32(), packets = r.u32(), octets = r.u32()
            let reports = (0..<count).map { _ in RtcpReportBlock(reading: &r) }
            return .senderReport(RtcpSenderReport(ssrc: ssrc, ntpTime: NtpTime(ntp), rtpTime: rtpTime, packetCount: packets, octetCount: octets, reports: reports))
        case receiverReportType:
            guard body.count >= 4 + count * RtcpReportBlock.size else { return nil }
            let ssrc = r.u32()
            return .receiverReport(RtcpReceiverReport(ssrc: ssrc, reports: (0..<count).map { _ in RtcpReportBlock(reading: &r) }))
        case byeType:
            guard body.count >= count * 4 else { return nil }
            return .bye((0..<count).map { _ in r.u32() })
        default:
            return .other(type)
        }
    }
}

/// Big-endian RTCP writing; lengths are counted in 32-bit words minus one (RFC 3550 6.4.1).
struct RtcpWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    /// A packet header whose body, after these 4 bytes, is `words` 32-bit words.
    mutating func header(count: Int, type: UInt8, words: Int) {
        bytes.append(0x80 | UInt8(count & 0x1F))
        bytes.append(type)
        bytes.append(UInt8(truncatingIfNeeded: words >> 8))
        bytes.append(UInt8(truncatingIfNeeded: words))
    }

    /// An SDES packet with one chunk holding one CNAME item (RFC 3550 6.5), the name cut to 255 bytes.
    mutating func cname(ssrc: UInt32, _ name: String) {
        let text = Array(name.utf8.prefix(255))
        // The item list ends with at least one zero octet, then pads the chunk to a 32-bit boundary.
        let chunk = 4 + 2 + text.count + 1
        let padded = (chunk + 3) / 4 * 4
        header(count: 1, type: RtcpPacket.sourceDescriptionType, words: padded / 4)
        u32(ssrc)
        bytes.append(1)   // CNAME
        bytes.append(UInt8(text.count))
        bytes.append(contentsOf: text)
        bytes.append(contentsOf: repeatElement(0, count: padded - chunk + 1))
    }
}

/// Reads 32-bit words from a body whose size was checked beforehand.
struct RtcpReader {
    private let bytes: ArraySlice<UInt8>
    private var i: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.i = bytes.startIndex
    }

    mutating func u32() -> UInt32 {
        guard bytes.endIndex - i >= 4 else { return 0 }
        defer { i += 4 }
        return UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }
}
