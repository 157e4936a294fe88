/// H.265 over RTP, RFC 7798, without DONL fields (sprop-max-don-diff=0).
///
/// Packetizing mirrors H.264: NAL units that fit are aggregated greedily into APs (a lone one goes as a single
/// NAL unit packet), bigger ones are cut into FUs filled to the budget, and the last packet of the access unit
/// has the marker. The AP header ORs the F bits and takes the lowest LayerId and TID (RFC 7798 4.4.2).
public struct H265RtpPacketizer: RtpPacketizer {
    private var core: NalPacketizer<H265NalFormat>

    /// Nil if `maxPayload` cannot hold an FU's three header bytes plus one byte.
    public init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = 1400, firstSequence: UInt16 = 0) {
        guard let core = NalPacketizer<H265NalFormat>(payloadType: payloadType, ssrc: ssrc, maxPayload: maxPayload, firstSequence: firstSequence) else { return nil }
        self.core = core
    }

    public var payloadType: UInt8 { core.writer.payloadType }
    public var ssrc: UInt32 { core.writer.ssrc }
    public var sequence: UInt16 { core.writer.sequence }

    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        core.packetize(frame, timestamp: timestamp, emit: emit)
    }
}

/// Rebuilds H.265 access units from single NAL unit (0-47), AP (48) and FU (49) packets. PACI (50) and the
/// unspecified types are dropped and counted.
public struct H265RtpDepacketizer: RtpDepacketizer {
    private var assembler = NalUnitAssembler<H265NalFormat>()
    /// Packets of a type this depacketizer does not handle (PACI, unspecified types).
    public private(set) var unsupportedPackets = 0
    /// Packets whose structure was broken (bad AP lengths, truncated FU, a payload shorter than its header).
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
            if p.count < 2 {
                malformed()
            } else {
                switch H265NalFormat.nalType(first) {
                case 0...47:
                    assembler.appendNal(p)
                case 48:
                    aggregation(p.dropFirst(2))
                case 49:
                    fragmentationUnit(p)
                default:
                    unsupportedPackets += 1
                }
            }
        }
        assembler.end(marker: packet.marker, into: &out)
        return out
    }

    public mutating func lost() { assembler.lost() }

    public mutating func takeParameterSets() -> [[UInt8]] { assembler.takeParameterSets() }

    private mutating func aggregation(_ body: ArraySlice<UInt8>) {
        var i = body.startIndex
        guard i < body.endIndex else { return malformed() }
        while i < body.endIndex {
            guard body.endIndex - i >= 2 else { return malformed() }
            let size = Int(body[i]) << 8 | Int(body[i + 1])
            i += 2
            guard size >= 2, size <= body.endIndex - i else { return malformed() }
            assembler.appendNal(body[i..<(i + size)])
            i += size
        }
    }

    private mutating func fragmentationUnit(_ p: ArraySlice<UInt8>) {
        guard p.count >= 3 else { return malformed() }
        let s = p.startIndex
        let fu = p[s + 2]
        let fragment = p.dropFirst(3)
        let start = fu & 0x80 != 0, end = fu & 0x40 != 0
        if start {
            // F and LayerId/TID come from the payload header, the type from the FU header (RFC 7798 4.4.3).
            let header = [(p[s] & 0x81) | ((fu & 0x3F) << 1), p[s + 1]]
            assembler.startFragment(header: header, data: end ? [] : fragment)
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
        guard p.count >= 3 else { return false }
        let s = p.startIndex
        let type = H265NalFormat.nalType(p[s])
        switch type {
        case 0...47:
            return H265NalFormat.beginsAccessUnit(type: type, firstPayloadByte: p[s + 2])
        case 48:
            guard p.count >= 6 else { return false }
            return H265NalFormat.beginsAccessUnit(type: H265NalFormat.nalType(p[s + 4]), firstPayloadByte: p.count > 6 ? p[s + 6] : nil)
        case 49:
            guard p[s + 2] & 0x80 != 0 else { return false }
            return H265NalFormat.beginsAccessUnit(type: p[s + 2] & 0x3F, firstPayloadByte: p.count > 3 ? p[s + 3] : nil)
        default:
            return false
        }
    }
}

enum H265NalFormat: NalRtpFormat {
    static var nalHeaderSize: Int { 2 }
    static var aggregationHeaderSize: Int { 2 }
    static var fragmentHeaderSize: Int { 3 }

    static func appendAggregationHeader(for nals: ArraySlice<ArraySlice<UInt8>>, to out: inout [UInt8]) {
        var forbidden: UInt8 = 0, layer: UInt8 = 63, tid: UInt8 = 7
        for nal in nals where nal.count >= 2 {
            let h0 = nal[nal.startIndex], h1 = nal[nal.startIndex + 1]
            forbidden |= h0 & 0x80
            layer = min(layer, (h0 & 1) << 5 | h1 >> 3)
            tid = min(tid, h1 & 7)
        }
        out.append(forbidden | 48 << 1 | layer >> 5)
        out.append((layer & 0x1F) << 3 | tid)
    }

    static func appendFragmentHeader(of nal: ArraySlice<UInt8>, start: Bool, end: Bool, to out: inout [UInt8]) {
        let h0 = nal.first ?? 0
        let h1 = nal.count > 1 ? nal[nal.startIndex + 1] : 1
        out.append((h0 & 0x81) | 49 << 1)
        out.append(h1)
        out.append((start ? 0x80 : 0) | (end ? 0x40 : 0) | nalType(h0))
    }

    static func nalType(_ firstByte: UInt8) -> UInt8 { (firstByte >> 1) & 0x3F }
    static func isKey(_ type: UInt8) -> Bool { (16...21).contains(type) }
    static func isParameterSet(_ type: UInt8) -> Bool { (32...34).contains(type) }

    static func beginsAccessUnit(type: UInt8, firstPayloadByte: UInt8?) -> Bool {
        switch type {
        case 32...35, 39, 41...44, 48...55:
            // VPS, SPS, PPS, AUD, prefix SEI and the reserved/unspecified prefix types only precede the first slice.
            return true
        case 0...31:
            // first_slice_segment_in_pic_flag is the first bit after the NAL unit header.
            return firstPayloadByte.map { $0 & 0x80 != 0 } ?? false
        default:
            return false
        }
    }
}
