import RtpFormats
import TestSupport
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


extension Array where Element == UInt8 {
    static func random(count: Int, using rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
