import Atomics

/// How many of the core's objects are alive now, by kind (ZLMediaKit's ObjectStatistic): getStatistic reports
/// them so a soak run can tell a leak (a count that does not come back to its baseline) from a busy server.
/// One relaxed atomic add in each init and deinit; nothing on the per-reader fan-out path.
public enum LiveObjects {
    public enum Kind: Int, CaseIterable, Sendable {
        case source, reader, ring, derivedRing, frameRing, buffer, connection

        /// getStatistic's key.
        public var name: String {
            switch self {
            case .source: "Source"
            case .reader: "BusReader"
            case .ring: "RingHub"
            case .derivedRing: "DerivedRing"
            case .frameRing: "FrameRing"
            case .buffer: "MediaBuffer"
            case .connection: "TcpConnection"
            }
        }
    }

    private static let counts: [ManagedAtomic<Int>] = Kind.allCases.map { _ in ManagedAtomic(0) }
    /// Bytes held by live `MediaBuffer`s (slices count their own length, so shared storage is counted again).
    private static let bufferBytes = ManagedAtomic<Int>(0)

    static func created(_ kind: Kind) { counts[kind.rawValue].wrappingIncrement(ordering: .relaxed) }
    static func destroyed(_ kind: Kind) { counts[kind.rawValue].wrappingDecrement(ordering: .relaxed) }
    static func buffer(bytes: Int, alive: Bool) {
        if alive { created(.buffer) } else { destroyed(.buffer) }
        bufferBytes.wrappingIncrement(by: alive ? bytes : -bytes, ordering: .relaxed)
    }

    public static func count(_ kind: Kind) -> Int { counts[kind.rawValue].load(ordering: .relaxed) }

    /// Every count by name, plus `MediaBufferBytes`.
    public static func snapshot() -> [String: Int] {
        var out: [String: Int] = [:]
        for kind in Kind.allCases { out[kind.name] = count(kind) }
        out["MediaBufferBytes"] = bufferBytes.load(ordering: .relaxed)
        return out
    }
}
