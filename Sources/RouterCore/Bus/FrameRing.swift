import PluginABI

/// A bounded ring of frames addressed by an ever-growing sequence number, keeping the newest group of
/// pictures so a new reader can start on a keyframe at once.
///
/// Frames are stored twice, side by side: the Swift frame (which owns the payload reference) and its C view,
/// so delivering a run of frames to a reader is a pointer into `cFrames`, with no per-reader work.
/// Confined to one event loop.
final class FrameRing {
    let capacity: Int
    /// Frames older than this many are dropped unless they belong to the newest GOP (all of them when the ring
    /// holds no GOP start).
    let softLimit: Int
    private var slots: [BusFrame?]
    private var gopStarts: [Bool]
    /// Payload bytes appended before each slot's frame, and in all: a reader's byte count over a run of
    /// frames is one subtraction (no per-frame, per-reader work on the fan-out path).
    private var bytesBefore: [Int64]
    private(set) var totalBytes: Int64 = 0
    private let cFrames: UnsafeMutablePointer<mr_frame>
    private(set) var head: UInt64 = 0
    private(set) var tail: UInt64 = 0
    private(set) var lastGopStart: UInt64?

    init(capacity: Int, softLimit: Int) {
        self.capacity = max(capacity, 8)
        self.softLimit = min(max(softLimit, 1), self.capacity)
        slots = Array(repeating: nil, count: self.capacity)
        gopStarts = Array(repeating: false, count: self.capacity)
        bytesBefore = Array(repeating: 0, count: self.capacity)
        cFrames = .allocate(capacity: self.capacity)
        cFrames.initialize(repeating: mr_frame(), count: self.capacity)
        LiveObjects.created(.frameRing)
    }

    deinit {
        cFrames.deallocate()
        LiveObjects.destroyed(.frameRing)
    }

    var count: Int { Int(head - tail) }

    func append(_ frame: BusFrame, gopStart: Bool) {
        if count == capacity { evictOldest() }
        let index = Int(head % UInt64(capacity))
        slots[index] = frame
        gopStarts[index] = gopStart
        bytesBefore[index] = totalBytes
        totalBytes &+= Int64(frame.payload.count)
        cFrames[index] = frame.cFrame
        if gopStart { lastGopStart = head }
        head += 1
        // Without a GOP start in the ring (a source that has sent no keyframe yet, or whose GOP outgrew the ring)
        // nothing here can start a new reader, so the soft limit holds too: a stream that never sends a keyframe
        // would otherwise keep `capacity` frames.
        while count > softLimit, lastGopStart.map({ tail < $0 }) ?? true { evictOldest() }
    }

    private func evictOldest() {
        let index = Int(tail % UInt64(capacity))
        slots[index] = nil
        cFrames[index] = mr_frame()
        tail += 1
        if let gop = lastGopStart, gop < tail { lastGopStart = nil }
    }

    func removeAll() {
        while tail < head { evictOldest() }
        lastGopStart = nil
    }

    /// Payload bytes of frames `[from, to)`; `from` must still be in the ring.
    func payloadBytes(from: UInt64, to: UInt64) -> Int64 {
        guard from < to, from >= tail, to <= head else { return 0 }
        return self.bytesBefore(to) &- self.bytesBefore(from)
    }

    /// The running byte total just before frame `seq` (`totalBytes` for `head`); `seq` must be in the ring.
    func bytesBefore(_ seq: UInt64) -> Int64 {
        guard seq >= tail, seq < head else { return totalBytes }
        return bytesBefore[Int(seq % UInt64(capacity))]
    }

    func isGopStart(_ seq: UInt64) -> Bool {
        guard seq >= tail, seq < head else { return false }
        return gopStarts[Int(seq % UInt64(capacity))]
    }

    /// The first GOP start at or after `seq`, if the ring holds one.
    func nextGopStart(from seq: UInt64) -> UInt64? {
        var s = max(seq, tail)
        while s < head {
            if gopStarts[Int(s % UInt64(capacity))] { return s }
            s += 1
        }
        return nil
    }

    /// The frames a new mirror of this ring needs: the newest GOP, with their GOP marks.
    func snapshotFromLastGop() -> [(BusFrame, Bool)] {
        guard let start = lastGopStart else { return [] }
        var out: [(BusFrame, Bool)] = []
        out.reserveCapacity(Int(head - start))
        var s = start
        while s < head {
            let i = Int(s % UInt64(capacity))
            if let f = slots[i] { out.append((f, gopStarts[i])) }
            s += 1
        }
        return out
    }

    /// Calls `body` with the C views of `[from, to)` in at most two contiguous runs.
    func withCFrames(from: UInt64, to: UInt64, _ body: (UnsafeBufferPointer<mr_frame>) -> Void) {
        guard from < to, from >= tail, to <= head else { return }
        let cap = UInt64(capacity)
        let start = Int(from % cap)
        let total = Int(to - from)
        let firstRun = min(total, capacity - start)
        body(UnsafeBufferPointer(start: cFrames + start, count: firstRun))
        if firstRun < total { body(UnsafeBufferPointer(start: cFrames, count: total - firstRun)) }
    }

    func frame(at seq: UInt64) -> BusFrame? {
        guard seq >= tail, seq < head else { return nil }
        return slots[Int(seq % UInt64(capacity))]
    }
}
