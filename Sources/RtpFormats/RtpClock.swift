/// Conversions between the bus clock (microseconds) and an RTP clock of `rate` ticks per second.
public struct RtpClock: Sendable, Equatable {
    public let rate: Int

    /// Nil unless `rate` > 0.
    public init?(rate: Int) {
        guard rate > 0 else { return nil }
        self.rate = rate
    }

    /// Ticks at or before `microseconds` (floor), without overflow for any realistic time (Unix epoch included).
    public func ticks(microseconds: Int64) -> Int64 {
        Self.scale(microseconds, by: Int64(rate), over: 1_000_000)
    }

    /// Microseconds at or before `ticks` (floor).
    public func microseconds(ticks: Int64) -> Int64 {
        Self.scale(ticks, by: 1_000_000, over: Int64(rate))
    }

    /// The RTP timestamp of a bus time: `base` (random per RFC 3550 5.1) plus the ticks, wrapped to 32 bits.
    public func timestamp(microseconds: Int64, base: UInt32 = 0) -> UInt32 {
        base &+ UInt32(truncatingIfNeeded: ticks(microseconds: microseconds))
    }

    /// floor(value * numerator / denominator), splitting `value` so the product stays in range.
    private static func scale(_ value: Int64, by numerator: Int64, over denominator: Int64) -> Int64 {
        var (q, r) = value.quotientAndRemainder(dividingBy: denominator)
        if r < 0 { q -= 1; r += denominator }
        return q &* numerator &+ (r * numerator) / denominator
    }
}

/// Extends 32-bit RTP timestamps of one stream to a 64-bit tick count, following wrap-around in both directions
/// (timestamps may step back, e.g. B-frames in presentation order).
public struct RtpTimestampUnwrapper: Sendable {
    private var last: UInt32?
    private var extended: Int64 = 0

    public init() {}

    /// The first timestamp maps to itself; each later one to the nearest value consistent with the previous one.
    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        if let previous = last {
            extended += Int64(Int32(bitPattern: timestamp &- previous))
        } else {
            extended = Int64(timestamp)
        }
        last = timestamp
        return extended
    }
}
