/// MPEG-TS in SRT messages: a live SRT message carries whole 188-byte TS packets, 7 of them (1316 bytes)
/// by default, as every SRT sender of TS does.
public enum TsMessages {
    public static let packetSize = 188
    public static let defaultPayloadSize = 1316

    /// The message boundaries of `count` bytes of TS: full messages of the largest multiple of 188 that fits
    /// `payloadSize`, the rest in a last shorter one.
    public static func ranges(count: Int, payloadSize: Int = defaultPayloadSize) -> [Range<Int>] {
        let step = max(packetSize, payloadSize / packetSize * packetSize)
        return stride(from: 0, to: count, by: step).map { $0..<min($0 + step, count) }
    }
}

/// Tells a publisher that sends something other than MPEG-TS: a message is TS when it is a non-empty run of
/// 188-byte packets each starting with the sync byte 0x47. A few bad messages are tolerated (a sender may
/// cut a packet), a run of them is not.
public struct TsInputCheck: Sendable {
    public private(set) var badInARow = 0
    public private(set) var badTotal = 0
    public let tolerance: Int

    public init(tolerance: Int = 32) { self.tolerance = tolerance }

    public static func isTs(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty, bytes.count % TsMessages.packetSize == 0 else { return false }
        return stride(from: 0, to: bytes.count, by: TsMessages.packetSize).allSatisfy { bytes[$0] == 0x47 }
    }

    /// False once the publisher is judged not to send TS.
    public mutating func accept(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if Self.isTs(bytes) {
            badInARow = 0
        } else {
            badInARow += 1
            badTotal += 1
        }
        return badInARow < tolerance
    }
}
