/// The 90 kHz system clock of PTS/DTS/PCR base and its conversion to the bus's microseconds. Arithmetic wraps
/// instead of trapping: timestamps come from the network.
package enum TsClock {
    static let mask: Int64 = (1 << 33) - 1
    static let hz: Int64 = 90_000

    /// Rounded to the nearest tick.
    package static func ticks(micros: Int64) -> Int64 { floorDiv(micros &* 9 &+ 50, 100) }

    /// Rounded to the nearest microsecond.
    static func micros(ticks: Int64) -> Int64 { floorDiv(ticks &* 100 &+ 4, 9) }

    static func micros(samples: Int64, rate: Int) -> Int64 {
        guard rate > 0 else { return 0 }
        return floorDiv(samples &* 1_000_000 &+ Int64(rate / 2), Int64(rate))
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }
}

/// Turns 33-bit timestamps into a continuous count. All PIDs of a program share one clock, so one reference
/// serves them all; each value is taken as the nearest to the previous one, modulo 2^33.
struct TsTimestampUnwrapper {
    private var last: Int64?

    mutating func unwrap(_ raw: Int64) -> Int64 {
        let value = raw & TsClock.mask
        guard let previous = last else {
            last = value
            return value
        }
        var delta = (value &- previous) & TsClock.mask
        if delta >= 1 << 32 { delta -= 1 << 33 }
        let result = previous &+ delta
        last = result
        return result
    }
}
