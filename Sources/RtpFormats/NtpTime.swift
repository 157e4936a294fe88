/// A 64-bit NTP timestamp (RFC 5905 6): seconds since 1900 in the high 32 bits, the fraction in the low 32.
public struct NtpTime: Sendable, Hashable {
    /// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
    static let unixOffset: Int64 = 2_208_988_800

    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// The NTP time of a Unix time in microseconds. Seconds wrap modulo 2^32 (era 1 starts in 2036, RFC 4330 3).
    public init(unixMicroseconds: Int64) {
        let (q, r) = unixMicroseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let seconds = r < 0 ? q - 1 : q
        let micros = r < 0 ? r + 1_000_000 : r
        let ntpSeconds = UInt64(UInt32(truncatingIfNeeded: seconds &+ Self.unixOffset))
        self.value = ntpSeconds << 32 | (UInt64(micros) << 32) / 1_000_000
    }

    /// Back to Unix microseconds, exact for values made by `init(unixMicroseconds:)`. Seconds with the top bit
    /// clear are read as era 1 (2036-2104), as RFC 4330 3 suggests.
    public var unixMicroseconds: Int64 {
        let seconds = Int64(value >> 32)
        let era: Int64 = seconds & 0x8000_0000 == 0 ? 1 << 32 : 0
        let micros = (Int64(value & 0xFFFF_FFFF) * 1_000_000 + (1 << 31)) >> 32
        return (seconds + era - Self.unixOffset) * 1_000_000 + micros
    }

    public var seconds: UInt32 { UInt32(truncatingIfNeeded: value >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: value) }

    /// The middle 32 bits, as an RTCP report block's LSR (RFC 3550 6.4.1).
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: value >> 16) }
}
