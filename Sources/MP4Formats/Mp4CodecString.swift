/// RFC 6381 codecs parameters, which MSE's addSourceBuffer needs before it sees the init segment.
enum Mp4CodecString {
    /// "avc1.PPCCLL" from the avcC's copy of the SPS profile, constraint and level bytes.
    static func avc(_ record: [UInt8]) -> String {
        guard record.count >= 4 else { return "avc1" }
        return "avc1." + record[1...3].map(hex2).joined()
    }

    /// "hvc1.<space><profile>.<compatibility, bit-reversed>.<tier><level>[.<constraint bytes>]"
    /// (ISO/IEC 14496-15 E.3), from bytes 1...12 of the hvcC.
    static func hevc(_ p: [UInt8]) -> String {
        guard p.count == 12 else { return "hvc1" }
        let space = ["", "A", "B", "C"][Int(p[0] >> 6)]
        var compatibility: UInt32 = 0
        for i in 1...4 { compatibility = compatibility << 8 | UInt32(p[i]) }
        var reversed: UInt32 = 0
        for bit in 0..<32 where compatibility & (1 << UInt32(bit)) != 0 { reversed |= 1 << UInt32(31 - bit) }
        var constraints = Array(p[5...10])
        while constraints.last == 0 { constraints.removeLast() }
        let tier = p[0] & 0x20 != 0 ? "H" : "L"
        let parts = ["hvc1", "\(space)\(p[0] & 0x1F)", String(reversed, radix: 16, uppercase: true), "\(tier)\(p[11])"]
            + constraints.map { String($0, radix: 16, uppercase: true) }
        return parts.joined(separator: ".")
    }

    private static func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}
