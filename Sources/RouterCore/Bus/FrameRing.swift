import PluginABI

/// A bounded ring of frames addressed by an ever-growing sequence number, keeping the newest group of
/// pictures so a new reader can start on a keyframe at once.
///
/// Frames are stored twice, side by side: the Swift frame (which owns the payload reference) and its C view,
/// so delivering a run of frames to a reader is a pointer into `cFrames`, with no per-reader work.
/// The slot arrays start small and double up to `capacity` as frames stay, and shrink back when the ring
/// empties: an idle or GOP-only ring does not pay for the whole window. Confined to one event loop.
final class FrameRing {
    /// The most frames held, whatever the GOP.
    let capacity: Int
    /// Frames older than this many are dropped unless they belong to the newest GOP (all of them when the ring
    /// holds no GOP start).
    let softLimit: Int
    /// Keep nothing older than the newest GOP (once there is one): for a ring only ever read from its newest
    /// keyframe (a source's home ring, which readers start from and never read further back).
    var keepsOnlyLastGop = false {
        didSet {
            guard keepsOnlyLastGop else { return }
            trimToLastGop()
            while slotCount / 2 >= max(Self.initialSlots, count * 2) { resize(to: slotCount / 2) }
        }
    }
    static let initialSlots = 64
    /// Slots allocated now (doubling from 64, at most `capacity`); frame `seq` lives at `seq % slotCount`.
    private(set) var slotCount: Int
    private var slots: [BusFrame?]
    private var gopStarts: [Bool]
    /// Payload bytes appended before each slot's frame, and in all: a reader's byte count over a run of
    /// frames is one subtraction (no per-frame, per-reader work on the fan-out path).
    private var bytesBefore: [Int64]
    private(set) var totalBytes: Int64 = 0
    private var cFrames: UnsafeMutablePointer<mr_frame>
    private(set) var head: UInt64 = 0
    private(set) var tail: UInt64 = 0
    private(set) var lastGopStart: UInt64?

    init(capacity: Int, softLimit: Int) {
        self.capacity = max(capacity, 8)
        self.softLimit = min(max(softLimit, 1), self.capacity)
        slotCount = min(self.capacity, Self.initialSlots)
        slots = Array(repeating: nil, count: slotCount)
        gopStarts = Array(repeating: false, count: slotCount)
        bytesBefore = Array(repeating: 0, count: slotCount)
        cFrames = .allocate(capacity: slotCount)
        cFrames.initialize(repeating: mr_frame(), count: slotCount)
        LiveObjects.created(.frameRing)
    }

    deinit {
        cFrames.deallocate()
        LiveObjects.destroyed(.frameRing)
    }

    var count: Int { Int(head - tail) }

    private func slot(_ seq: UInt64) -> Int { Int(seq % UInt64(slotCount)) }

    func append(_ frame: BusFrame, gopStart: Bool) {
        if count == capacity {
            evictOldest()
        } else if count == slotCount {
            resize(to: min(capacity, slotCount * 2))
        }
        let index = slot(head)
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
        if keepsOnlyLastGop, lastGopStart != nil { return trimToLastGop() }
        while count > softLimit, lastGopStart.map({ tail < $0 }) ?? true { evictOldest() }
    }

    private func trimToLastGop() {
        guard let gop = lastGopStart, tail < gop else { return }
        let finished = Int(gop - tail)
        while tail < gop { evictOldest() }
        // Slots for GOPs four times longer than the one just finished are given back, half at a time, so a
        // stream whose GOPs got shorter shrinks while one of steady GOPs never resizes back and forth.
        if slotCount > Self.initialSlots, slotCount > 4 * finished { resize(to: max(Self.initialSlots, slotCount / 2)) }
    }

    private func evictOldest() {
        let index = slot(tail)
        slots[index] = nil
        cFrames[index] = mr_frame()
        tail += 1
        if let gop = lastGopStart, gop < tail { lastGopStart = nil }
    }

    /// New slot arrays of `size` (at least `count`), the frames kept at their sequence numbers' places.
    private func resize(to size: Int) {
        guard size != slotCount, size >= count else { return }
        var newSlots = [BusFrame?](repeating: nil, count: size)
        var newGops = [Bool](repeating: false, count: size)
        var newBytes = [Int64](repeating: 0, count: size)
        let newC = UnsafeMutablePointer<mr_frame>.allocate(capacity: size)
        newC.initialize(repeating: mr_frame(), count: size)
        var s = tail
        while s < head {
            let from = slot(s), to = Int(s % UInt64(size))
            newSlots[to] = slots[from]
            newGops[to] = gopStarts[from]
            newBytes[to] = bytesBefore[from]
            newC[to] = cFrames[from]
            s += 1
        }
        cFrames.deallocate()
        slots = newSlots
        gopStarts = newGops
        bytesBefore = newBytes
        cFrames = newC
        slotCount = size
    }

    func removeAll() {
        while tail < head { evictOldest() }
        lastGopStart = nil
        resize(to: min(capacity, Self.initialSlots))
    }

    /// Payload bytes of frames `[from, to)`; `from` must still be in the ring.
    func payloadBytes(from: UInt64, to: UInt64) -> Int64 {
        guard from < to, from >= tail, to <= head else { return 0 }
        return self.bytesBefore(to) &- self.bytesBefore(from)
    }

    /// The running byte total just before frame `seq` (`totalBytes` for `head`); `seq` must be in the ring.
    func bytesBefore(_ seq: UInt64) -> Int64 {
        guard seq >= tail, seq < head else { return totalBytes }
        return bytesBefore[slot(seq)]
    }

    func isGopStart(_ seq: UInt64) -> Bool {
        guard seq >= tail, seq < head else { return false }
        return gopStarts[slot(seq)]
    }

    /// The first GOP start at or after `seq`, if the ring holds one.
    func nextGopStart(from seq: UInt64) -> UInt64? {
        var s = max(seq, tail)
        while s < head {
            if gopStarts[slot(s)] { return s }
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
            let i = slot(s)
            if let f = slots[i] { out.append((f, gopStarts[i])) }
            s += 1
        }
        return out
    }

    /// Calls `body` with the C views of `[from, to)` in at most two contiguous runs.
    func withCFrames(from: UInt64, to: UInt64, _ body: (UnsafeBufferPointer<mr_frame>) -> Void) {
        guard from < to, from >= tail, to <= head else { return }
        let start = slot(from)
        let total = Int(to - from)
        let firstRun = min(total, slotCount - start)
        body(UnsafeBufferPointer(start: cFrames + start, count: firstRun))
        if firstRun < total { body(UnsafeBufferPointer(start: cFrames, count: total - firstRun)) }
    }

    func frame(at seq: UInt64) -> BusFrame? {
        guard seq >= tail, seq < head else { return nil }
        return slots[slot(seq)]
    }
}
