import RtpFormats
import XCTest

/// Runs a packetizer over frames and keeps copies of the packets it emits.
func packetize(_ packetizer: inout any RtpPacketizer, _ frames: [Frame]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    for f in frames {
        packetizer.packetize(f.data[...], timestamp: f.timestamp) { out.append(Array($0)) }
    }
    return out
}

/// Parses packets and pushes them in order, collecting the units completed.
func depacketize(_ depacketizer: inout any RtpDepacketizer, _ packets: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) -> [RtpAccessUnit] {
    var units: [RtpAccessUnit] = []
    for (i, bytes) in packets.enumerated() {
        guard let p = RtpPacket(bytes[...]) else {
            XCTFail("packet \(i) does not parse", file: file, line: line)
            continue
        }
        units += depacketizer.push(p)
    }
    return units
}

/// A deterministic generator so failures reproduce (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    static func random(count: Int, using rng: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
