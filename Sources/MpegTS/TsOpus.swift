/// Opus in TS as FFmpeg carries it: each packet in a PES prefixed by a control header (11-bit prefix 0x3FF,
/// trim flags, au_size as a run of 0xFF bytes plus a last byte, optional trims and extension).
enum TsOpus {
    static func controlHeader(size: Int) -> [UInt8] {
        var out: [UInt8] = [0x7F, 0xE0]
        out += repeatElement(0xFF, count: size / 255)
        out.append(UInt8(size % 255))
        return out
    }

    /// The packets of one PES payload; stops (counting an error) at a header that does not parse.
    static func split(_ payload: ArraySlice<UInt8>, errors: inout Int) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = payload.startIndex
        let end = payload.endIndex
        while i < end {
            guard end - i >= 3, payload[i] == 0x7F, payload[i + 1] & 0xE0 == 0xE0 else { errors += 1; break }
            let flags = payload[i + 1]
            i += 2
            var size = 0
            var complete = false
            while i < end {
                let b = payload[i]
                i += 1
                size += Int(b)
                if b != 0xFF { complete = true; break }
            }
            var skip = (flags & 0x10 != 0 ? 2 : 0) + (flags & 0x08 != 0 ? 2 : 0)   // start_trim, end_trim
            if flags & 0x04 != 0 {                                                    // control_extension
                guard complete, end - i > skip else { errors += 1; break }
                skip += 1 + Int(payload[i + skip])
            }
            guard complete, end - i >= skip, end - i - skip >= size else { errors += 1; break }
            i += skip
            out.append(payload[i..<(i + size)])
            i += size
        }
        return out
    }

    /// Packet duration in 48 kHz samples from its TOC (RFC 6716 3.1); 960 (20 ms) when the packet is too short
    /// to say.
    static func duration(_ packet: ArraySlice<UInt8>) -> Int {
        guard let toc = packet.first else { return 960 }
        let config = Int(toc >> 3)
        let frame: Int   // in 48 kHz samples
        switch config {
        case 0...11: frame = [480, 960, 1920, 2880][config & 3]
        case 12...15: frame = [480, 960][config & 1]
        default: frame = [120, 240, 480, 960][config & 3]
        }
        let count: Int
        switch toc & 3 {
        case 0: count = 1
        case 1, 2: count = 2
        default:
            guard packet.count >= 2 else { return 960 }
            count = Int(packet[packet.startIndex + 1] & 0x3F)
        }
        return frame * count
    }
}
