/// Transport-layer constants (ISO/IEC 13818-1 2.4.3).
enum Ts {
    static let packetSize = 188
    static let sync: UInt8 = 0x47
    static let patPid: UInt16 = 0x0000
    static let nullPid: UInt16 = 0x1FFF
}

/// The header and adaptation field of one 188-byte packet (2.4.3.2, 2.4.3.4).
struct TsPacketHeader {
    let pid: UInt16
    let unitStart: Bool
    let continuity: UInt8
    let hasPayload: Bool
    let discontinuity: Bool
    let randomAccess: Bool
    let payload: ArraySlice<UInt8>

    /// Nil for a packet nothing can be taken from: flagged by the demodulator (transport_error_indicator), with the
    /// reserved adaptation_field_control 00, or with an adaptation field longer than the packet.
    init?(_ p: ArraySlice<UInt8>) {
        guard p.count == Ts.packetSize, p.first == Ts.sync else { return nil }
        let b = p.startIndex
        guard p[b + 1] & 0x80 == 0 else { return nil }
        let control = (p[b + 3] >> 4) & 3
        guard control != 0 else { return nil }
        pid = UInt16(p[b + 1] & 0x1F) << 8 | UInt16(p[b + 2])
        unitStart = p[b + 1] & 0x40 != 0
        continuity = p[b + 3] & 0x0F
        hasPayload = control & 1 != 0
        var start = b + 4
        var discontinuity = false, randomAccess = false
        if control & 2 != 0 {
            let length = Int(p[start])
            guard length <= 183 else { return nil }
            if length > 0 {
                discontinuity = p[start + 1] & 0x80 != 0
                randomAccess = p[start + 1] & 0x40 != 0
            }
            start += 1 + length
        }
        self.discontinuity = discontinuity
        self.randomAccess = randomAccess
        payload = hasPayload ? p[start..<p.endIndex] : p[p.endIndex..<p.endIndex]
    }
}

/// Writes the packets of one PID and owns its continuity counter.
struct TsPacketWriter {
    let pid: UInt16
    /// The counter the next packet with payload carries.
    private(set) var continuity: UInt8 = 0

    init(pid: UInt16) { self.pid = pid }

    /// Splits one PES over packets. Only the first carries payload_unit_start and the PCR / random-access flags;
    /// the last is padded through its adaptation field because PES bytes cannot be padded with 0xFF (2.4.3.5).
    mutating func writeUnit(_ payload: [UInt8], pcr: Int64? = nil, randomAccess: Bool = false, discontinuity: Bool = false,
                            into out: inout [UInt8]) {
        var offset = 0
        var first = true
        while first || offset < payload.count {
            let flags: UInt8 = first ? (discontinuity ? 0x80 : 0) | (randomAccess ? 0x40 : 0) | (pcr != nil ? 0x10 : 0) : 0
            // Bytes of the adaptation field after its length byte, before any stuffing.
            let fieldBody = flags != 0 ? 1 + (first && pcr != nil ? 6 : 0) : 0
            let room = 184 - (fieldBody > 0 ? 1 + fieldBody : 0)
            let chunk = min(room, payload.count - offset)
            let gap = room - chunk
            let fieldSize = fieldBody > 0 ? 1 + fieldBody + gap : gap   // including the length byte
            out.append(Ts.sync)
            out.append((first ? 0x40 : 0) | UInt8(pid >> 8))
            out.append(UInt8(pid & 0xFF))
            out.append((fieldSize > 0 ? 0x20 : 0) | 0x10 | continuity)
            continuity = (continuity + 1) & 0x0F
            if fieldSize > 0 {
                out.append(UInt8(fieldSize - 1))
                if fieldSize > 1 {
                    out.append(flags)
                    if flags & 0x10 != 0, let pcr { Self.appendPcr(pcr, to: &out) }
                    out.append(contentsOf: repeatElement(0xFF, count: fieldSize - 1 - max(fieldBody, 1)))
                }
            }
            out.append(contentsOf: payload[offset..<(offset + chunk)])
            offset += chunk
            first = false
        }
    }

    /// An adaptation-field-only packet carrying a PCR, for when the PCR PID has had no payload for too long.
    /// The counter is not advanced: it only counts packets with payload (2.4.3.3).
    func writePcrOnly(_ pcr: Int64, discontinuity: Bool, into out: inout [UInt8]) {
        out.append(Ts.sync)
        out.append(UInt8(pid >> 8))
        out.append(UInt8(pid & 0xFF))
        out.append(0x20 | ((continuity &+ 15) & 0x0F))
        out.append(183)
        out.append((discontinuity ? 0x80 : 0) | 0x10)
        Self.appendPcr(pcr, to: &out)
        out.append(contentsOf: repeatElement(0xFF, count: 176))
    }

    /// One PSI section after a zero pointer_field; the tail after a section is filled with 0xFF, which a section
    /// reader takes for the end of the sections in the packet (2.4.4.1).
    mutating func writeSection(_ section: [UInt8], into out: inout [UInt8]) {
        let payload = [0] + section
        var offset = 0
        while offset < payload.count {
            let chunk = min(184, payload.count - offset)
            out.append(Ts.sync)
            out.append((offset == 0 ? 0x40 : 0) | UInt8(pid >> 8))
            out.append(UInt8(pid & 0xFF))
            out.append(0x10 | continuity)
            continuity = (continuity + 1) & 0x0F
            out.append(contentsOf: payload[offset..<(offset + chunk)])
            out.append(contentsOf: repeatElement(0xFF, count: 184 - chunk))
            offset += chunk
        }
    }

    /// program_clock_reference_base (33 bits), 6 reserved bits, extension 0 (2.4.3.5).
    static func appendPcr(_ pcr: Int64, to out: inout [UInt8]) {
        let base = UInt64(truncatingIfNeeded: pcr) & 0x1_FFFF_FFFF
        out.append(UInt8(truncatingIfNeeded: base >> 25))
        out.append(UInt8(truncatingIfNeeded: base >> 17))
        out.append(UInt8(truncatingIfNeeded: base >> 9))
        out.append(UInt8(truncatingIfNeeded: base >> 1))
        out.append(UInt8(truncatingIfNeeded: (base & 1) << 7) | 0x7E)
        out.append(0)
    }
}
