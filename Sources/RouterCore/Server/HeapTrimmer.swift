import CSocketShims
import Dispatch

/// Gives freed heap back to the kernel after a crowd leaves.
///
/// glibc keeps freed chunks mapped, and per-thread arenas rarely shrink on their own (only a free at the very
/// top of an arena does): after 1,000 players left, 20-40 MB stayed in RSS as free heap until the next crowd.
/// Every `intervalSeconds` this looks at the free figure (mallinfo2) and, past `thresholdBytes`, runs
/// malloc_trim, which hands whole free pages back wherever they are. Both walk the arenas under their
/// locks, a few milliseconds on the control queue; loops that allocate meanwhile wait that long at most once
/// per interval.
final class HeapTrimmer: @unchecked Sendable {   // one immutable timer
    static let intervalSeconds = 10
    static let thresholdBytes = 8 << 20

    private let timer: DispatchSourceTimer

    init(queue: DispatchQueue) {
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(Self.intervalSeconds), repeating: .seconds(Self.intervalSeconds))
        timer.setEventHandler { Self.trimIfWorthIt() }
        timer.resume()
    }

    /// Trims when the allocator holds more than `thresholdBytes` free; returns whether it did.
    @discardableResult
    static func trimIfWorthIt(thresholdBytes: Int = thresholdBytes) -> Bool {
        guard let free = HeapFigures.snapshot()["HeapFreeBytes"], free > thresholdBytes else { return false }
        mr_shim_heap_trim()
        return true
    }

    func stop() { timer.cancel() }
}
