import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// A track's wall-clock reference (`mr_clock_ref`): source-clock pts <-> NTP capture time.
struct ClockReference: Equatable, Sendable {
    let pts: Int64
    let ntp: UInt64
    /// Host monotonic microseconds when the publisher set it.
    let updatedUs: Int64

    /// Writes as much of the struct as the caller's `size` says it has.
    func fill(_ out: UnsafeMutablePointer<mr_clock_ref>) {
        var local = mr_clock_ref()
        local.size = UInt32(MemoryLayout<mr_clock_ref>.size)
        local.pts = pts
        local.ntp = ntp
        local.updated_us = updatedUs
        let callerSize = Int(out.pointee.size)
        withUnsafeBytes(of: &local) { raw in
            UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress!, byteCount: min(max(callerSize, 0), raw.count))
        }
        if callerSize >= MemoryLayout<UInt32>.size { out.pointee.size = UInt32(min(callerSize, MemoryLayout<mr_clock_ref>.size)) }
    }
}

/// The clock references of one source's tracks. Set by the publisher's thread and read by readers on any
/// loop, hence a lock; both are rare next to frames (a sender report every few seconds).
final class ClockReferences: Sendable {
    private let refs = NIOLockedValueBox<[Int: ClockReference]>([:])

    func set(_ ref: ClockReference, track: Int) { refs.withLockedValue { $0[track] = ref } }
    func clear(track: Int) { _ = refs.withLockedValue { $0.removeValue(forKey: track) } }
    func get(track: Int) -> ClockReference? { refs.withLockedValue { $0[track] } }
    /// A new publisher's capture clock is not the last one's.
    func clearAll() { refs.withLockedValue { $0.removeAll() } }
}

enum HostClock {
    /// The clock of `now_us`.
    static func nowUs() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1000) }
}
