/// A bounds-checked MSB-first bit reader for codec headers (SPS, AudioSpecificConfig). Every read
/// returns nil past the end instead of trapping.
public struct BitReader {
    private let bytes: [UInt8]
    public private(set) var position = 0   // in bits

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var bitsLeft: Int { bytes.count * 8 - position }

    public mutating func bit() -> UInt32? {
        guard position < bytes.count * 8 else { return nil }
        let b = (bytes[position >> 3] >> (7 - UInt8(position & 7))) & 1
        position += 1
        return UInt32(b)
    }

    public mutating func bits(_ n: Int) -> UInt32? {
        guard n >= 0, n <= 32, bitsLeft >= n else { return nil }
        var v: UInt32 = 0
        for _ in 0..<n { v = (v << 1) | (bit() ?? 0) }
        return v
    }

    public mutating func skip(_ n: Int) -> Bool {
        guard n >= 0, bitsLeft >= n else { return false }
        position += n
        return true
    }

    /// Unsigned Exp-Golomb (H.264 9.1).
    public mutating func ue() -> UInt32? {
        var zeros = 0
        while true {
            guard let b = bit() else { return nil }
            if b == 1 { break }
            zeros += 1
            if zeros > 31 { return nil }
        }
        guard let rest = bits(zeros) else { return nil }
        return (UInt32(1) << UInt32(zeros)) - 1 + rest
    }

    /// Signed Exp-Golomb.
    public mutating func se() -> Int32? {
        guard let k = ue() else { return nil }
        return k & 1 == 1 ? Int32((k + 1) / 2) : -Int32(k / 2)
    }
}

/// Removes emulation-prevention bytes (00 00 03 -> 00 00) from a NAL unit payload (H.264 7.4.1).
public func removeEmulationPrevention(_ nal: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(nal.count)
    var zeros = 0
    for b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0
            continue
        }
        zeros = b == 0 ? zeros + 1 : 0
        out.append(b)
    }
    return out
}
