/// H.264 over RTP, RFC 6184 packetization-mode 1 (non-interleaved).
///
/// Packetizing: NAL units that fit the budget are aggregated greedily into STAP-A packets (a lone one goes as a
/// single NAL unit packet), so SPS + PPS (+ SEI, + a small slice) usually share one packet; bigger NAL units are
/// cut into FU-A fragments filled to the budget. The STAP-A header takes the highest NRI and ORs the F bits of its
/// units (RFC 6184 5.7). The last packet of the access unit has the marker.
public struct H264RtpPacketizer: RtpPacketizer {
    private var core: NalPacketizer<H264NalFormat>

    /// Nil if `maxPayload` cannot hold an FU-A header plus one byte.
    public init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = 1400, firstSequence: UInt16 = 0) {
        guard let core = NalPacketizer<H264NalFormat>(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence) else { return nil }
        self.core = core
    }

    public var payloadType: UInt8 { core.writer.payloadType }
    public var ssrc: UInt32 { core.writer.ssrc }
    public var sequence: UInt16 { core.writer.sequence }

    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        core.packetize(frame, timestamp: timestamp, emit: emit)
    }
}

/// Rebuilds H.264 access units from single NAL unit (1-23), STAP-A (24) and FU-A (28) packets. STAP-B, MTAP and
/// FU-B belong to the interleaved mode, which is never negotiated here: such packets are dropped and counted.
public struct H264RtpDepacketizer: RtpDepacketizer {
    private var assembler = NalUnitAssembler<H264NalFormat>()
    /// Packets of a type this depacketizer does not handle (STAP-B, MTAP16/24, FU-B, reserved types).
    public private(set) var unsupportedPackets = 0
    /// Packets whose structure was broken (bad STAP-A lengths, truncated FU-A).
    public private(set) var malformedPackets = 0
    /// Access units dropped because they were damaged, incomplete or too big.
    public var droppedUnits: Int { assembler.droppedUnits }
    /// Bytes of the access unit being assembled (bounded by 8 MB).
    public var bufferedBytes: Int { assembler.bufferedBytes }

    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        var out: [RtpAccessUnit] = []
        let p = packet.payload
        assembler.begin(timestamp: packet.timestamp, beginsAccessUnit: Self.beginsAccessUnit(p), into: &out)
        if let first = p.first {
            switch first & 0x1F {
            case 1...23:
                assembler.appendNal(p)
            case 24:
                stapA(p.dropFirst())
            case 28:
                fuA(p)
            default:
                unsupportedPackets += 1
            }
        }
        assembler.end(marker: packet.marker, into: &out)
        return out
    }

    public mutating func lost() { assembler.lost() }

    public mutating func takeParameterSets() -> [[UInt8]] { assembler.takeParameterSets() }

    private mutating func stapA(_ body: ArraySlice<UInt8>) {
        var i = body.startIndex
        guard i < body.endIndex else { return malformed() }
        while i < body.endIndex {
            guard body.endIndex - i >= 2 else { return malformed() }
            let size = Int(body[i]) << 8 | Int(body[i + 1])
            i += 2
            guard size > 0, size <= body.endIndex - i else { return malformed() }
            assembler.appendNal(body[i..<(i + size)])
            i += size
        }
    }

    private mutating func fuA(_ p: ArraySlice<UInt8>) {
        guard p.count >= 2 else { return malformed() }
        let indicator = p[p.startIndex], header = p[p.startIndex + 1]
        let fragment = p.dropFirst(2)
        let start = header & 0x80 != 0, end = header & 0x40 != 0
        if start {
            // RFC 6184 forbids S and E together; such a packet still carries a whole NAL unit, so take it.
            assembler.startFragment(header: CollectionOfOne((indicator & 0xE0) | (header & 0x1F)), data: end ? [] : fragment)
            if end { assembler.continueFragment(fragment, end: true) }
        } else {
            assembler.continueFragment(fragment, end: end)
        }
    }

    private mutating func malformed() {
        malformedPackets += 1
        assembler.markDamaged()
    }

    /// The first NAL unit a packet starts, if that NAL unit can only open an access unit.
    static func beginsAccessUnit(_ p: ArraySlice<UInt8>) -> Bool {
        guard let first = p.first else { return false }
        let s = p.startIndex
        switch first & 0x1F {
        case 1...23:
            return H264NalFormat.beginsAccessUnit(type: first & 0x1F, firstPayloadByte: p.count > 1 ? p[s + 1] : nil)
        case 24:
            guard p.count >= 4 else { return false }
            return H264NalFormat.beginsAccessUnit(type: p[s + 3] & 0x1F, firstPayloadByte: p.count > 4 ? p[s + 4] : nil)
        case 28:
            guard p.count >= 2, p[s + 1] & 0x80 != 0 else { return false }
            return H264NalFormat.beginsAccessUnit(type: p[s + 1] & 0x1F, firstPayloadByte: p.count > 2 ? p[s + 2] : nil)
        default:
            return false
        }
    }
}

enum H264NalFormat: NalRtpFormat {
    static var nalHeaderSize: Int { 1 }
    static var aggregationHeaderSize: Int { 1 }
    static var fragmentHeaderSize: Int { 2 }

    static func appendAggregationHeader(for nals: ArraySlice<ArraySlice<UInt8>>, to out: inout [UInt8]) {
        var forbidden: UInt8 = 0, nri: UInt8 = 0
        for nal in nals {
            guard let h = nal.first else { continue }
            forbidden |= h & 0x80
            nri = max(nri, h & 0x60)
        }
        out.append(forbidden | nri | 24)
    }

    static func appendFragmentHeader(of nal: ArraySlice<UInt8>, start: Bool, end: Bool, to out: inout [UInt8]) {
        let h = nal.first ?? 0
        out.append((h & 0xE0) | 28)
        out.append((start ? 0x80 : 0) | (end ? 0x40 : 0) | (h & 0x1F))
    }

    static func nalType(_ firstByte: UInt8) -> UInt8 { firstByte & 0x1F }
    static func isKey(_ type: UInt8) -> Bool { type == 5 }
    static func isParameterSet(_ type: UInt8) -> Bool { type == 7 || type == 8 }

    static func beginsAccessUnit(type: UInt8, firstPayloadByte: UInt8?) -> Bool {
        switch type {
        case 6...9, 14...18:
            // SEI, SPS, PPS, AUD and the reserved/prefix types only ever precede the first slice.
            return true
        case 1, 2, 5:
            // first_mb_in_slice is ue(v): a leading 1 bit means 0, the first slice of a picture.
            return firstPayloadByte.map { $0 & 0x80 != 0 } ?? false
        default:
            return false
        }
    }
}
