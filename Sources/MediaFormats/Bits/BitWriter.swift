/// An MSB-first bit writer for rewriting codec headers (the counterpart of BitReader).
public struct BitWriter {
    public private(set) var bytes: [UInt8] = []
    /// Bits used in the last byte (0 when byte-aligned).
    private var used = 0

    public init() {}

    public mutating func bit(_ b: UInt32) {
        if used == 0 { bytes.append(0) }
        if b & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(used) }
        used = (used + 1) & 7
    }

    public mutating func bits(_ v: UInt32, _ n: Int) {
        guard n > 0 else { return }
        for i in stride(from: min(n, 32) - 1, through: 0, by: -1) { bit(v >> UInt32(i)) }
    }

    /// Unsigned Exp-Golomb (H.264 9.1).
    public mutating func ue(_ v: UInt32) {
        let code = UInt64(v) + 1
        let length = 64 - code.leadingZeroBitCount
        for _ in 0..<(length - 1) { bit(0) }
        for i in stride(from: length - 1, through: 0, by: -1) { bit(UInt32((code >> UInt64(i)) & 1)) }
    }

    /// rbsp_trailing_bits (H.264 7.3.2.11): the stop bit, then zeros to the byte boundary.
    public mutating func trailingBits() {
        bit(1)
        while used != 0 { bit(0) }
    }
}

/// Inserts emulation-prevention bytes (00 00 0x with x <= 3 -> 00 00 03 0x) into an RBSP (H.264 7.4.1).
public func addEmulationPrevention(_ rbsp: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(rbsp.count + rbsp.count / 64 + 1)
    var zeros = 0
    for b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.append(3)
            zeros = 0
        }
        zeros = b == 0 ? zeros + 1 : 0
        out.append(b)
    }
    return out
}
