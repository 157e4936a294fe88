import Atomics
import CSocketShims
import NIOCore
import PluginABI

/// One loop's copy of a ring and the readers on that loop.
///
/// The home loop sends each written batch here in one hop; this loop then walks its readers. The copy is
/// what lets readers on N loops share one write without locks: a payload is shared, only the small frame
/// records are repeated per loop.
final class LoopMirror: @unchecked Sendable {
    let loop: EventLoop
    let ring: FrameRing
    /// Readers attached or on their way here; read by the home loop to decide whether to send batches.
    let interest = ManagedAtomic<Int>(0)
    private var liveJoins = 0
    private var readers: [BusReader] = []
    private(set) var tracks: [TrackInfo] = []
    /// Called (on this loop) when a reader leaves, so the hub can keep counts and free idle rings.
    var onReaderLeft: (@Sendable (BusReader) -> Void)?
    private let mergeWriteMs: Int
    private var flushScheduled = false
    private var pacer = WalkPacer()
    private var audioHold: AudioHold?
    /// Frames the home loop has sent that this loop has not taken yet (`receive` pending in its task queue).
    /// A home loop that writes faster than this loop delivers (a publisher flooding far above real time, its
    /// readers here) would otherwise queue batches without bound: past a ring's worth the home loop sends
    /// `lost` instead, which holds no frames.
    let inFlight = ManagedAtomic<Int>(0)
    /// Frames dropped for this loop whose `lost` task is not run yet: one task carries them all, so a flood
    /// queues one small task per loop, not one per batch.
    let lostPending = ManagedAtomic<Int>(0)

    init(loop: EventLoop, capacity: Int, softLimit: Int, mergeWriteMs: Int = 0, coalesceAudio: Bool = false) {
        self.loop = loop
        self.ring = FrameRing(capacity: capacity, softLimit: softLimit)
        self.mergeWriteMs = mergeWriteMs
        self.audioHold = coalesceAudio && mergeWriteMs == 0 ? AudioHold() : nil
    }

    var readerList: [BusReader] { readers }

    /// Attaches a reader. `snapshot` is the home ring's newest GOP taken when `interest` was raised for
    /// this reader; it is only used if this mirror had gone idle (its copy may be stale then).
    func attach(_ reader: BusReader, snapshot: [(BusFrame, Bool)], header: MediaBuffer?, tracks: [TrackInfo]) {
        if liveJoins == 0 {
            ring.removeAll()
            for (frame, gop) in snapshot { ring.append(frame, gopStart: gop) }
            self.tracks = tracks
        }
        liveJoins += 1
        guard !reader.closed else { detach(reader); return }
        reader.mirror = self
        reader.attached = true
        reader.tracks = self.tracks
        reader.pendingHeader = header
        if let gop = ring.lastGopStart {
            reader.cursor = gop
        } else {
            reader.cursor = ring.head
            reader.waitingForKey = true
        }
        readers.append(reader)
        reader.emit(MR_READER_STARTED)
        deliver(to: reader)
    }

    func receive(_ batch: [(BusFrame, Bool)]) {
        inFlight.wrappingDecrement(by: batch.count, ordering: .relaxed)
        guard liveJoins > 0 else { return }
        for (frame, gop) in batch { ring.append(frame, gopStart: gop) }
        if audioHold != nil { return receiveHoldingAudio(batch) }
        guard mergeWriteMs > 0 else { return walkSoon() }
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.scheduleTask(in: .milliseconds(Int64(mergeWriteMs))) {
            self.flushScheduled = false
            self.walkSoon()
        }
    }

    /// The default delivery: a batch of only audio waits for the next video frame, at most until that frame is
    /// due (`AudioHold`), so each player gets the audio and the video of one frame interval in one socket write
    /// (a third of the writes of an AAC + 25 fps stream). Video is never held: its latency is unchanged.
    private func receiveHoldingAudio(_ batch: [(BusFrame, Bool)]) {
        guard var hold = audioHold else { return deliverAll() }
        defer { audioHold = hold }
        let now = NIODeadline.now()
        if batch.contains(where: { !hold.mayWait($0.0, tracks: tracks) }) {
            hold.observeVideo(batch, tracks: tracks, now: now)
            hold.pending = false
            return walkSoon(now: now)
        }
        guard !hold.pending else { return }
        guard let deadline = hold.deadline(now: now) else { return walkSoon(now: now) }
        hold.pending = true
        hold.generation &+= 1
        let generation = hold.generation
        loop.scheduleTask(deadline: deadline) {
            guard var h = self.audioHold, h.pending, h.generation == generation else { return }
            h.pending = false
            self.audioHold = h
            self.walkSoon()
        }
    }

    /// `count` frames the home loop dropped because this loop was a ring behind: every reader here goes on
    /// from the next keyframe, as if the ring had evicted them under it (counted as skipped, said once per skip).
    func lost(_ count: Int) {
        guard liveJoins > 0 else { return }
        let head = ring.head
        for r in readers where !r.closed {
            let dropped = Int64(count) + Int64(head - min(r.cursor, head))
            r.cursor = head
            r.skippedCount.wrappingIncrement(by: dropped, ordering: .relaxed)
            guard !r.waitingForKey else { continue }
            r.waitingForKey = true
            r.pendingDiscontinuity = true
            r.emit(MR_READER_SKIPPED, dropped)
        }
        ring.removeAll()
    }

    /// Walks the readers now, or once the loop has polled its sockets (`WalkPacer`).
    private func walkSoon(now: NIODeadline = .now()) {
        guard !pacer.scheduled else { return }
        guard pacer.mustWait(now: now) else { return deliverAll() }
        scheduleWalk()
    }

    private func scheduleWalk() {
        pacer.scheduled = true
        // Armed from the end of the loop's queue: the batches that came during the walk go first, so the
        // deadline is still ahead when the queue runs dry, and the loop polls before it walks again.
        loop.execute {
            self.loop.scheduleTask(in: WalkPacer.pollGap) {
                self.pacer.scheduled = false
                self.deliverAll()
            }
        }
    }

    private func deliverAll() {
        guard liveJoins > 0 else { return }
        pacer.begin(now: .now())
        if pacer.resume == 0 { pacer.startHead = ring.head }
        var i = pacer.resume
        pacer.resume = 0
        while i < readers.count {
            let r = readers[i]
            i += 1
            if !r.closed { deliver(to: r) }
            if pacer.shouldCut(done: i, count: readers.count) {
                pacer.resume = i
                pacer.ended(at: .now())
                if !pacer.scheduled { scheduleWalk() }
                return
            }
        }
        pacer.ended(at: .now())
        // Frames that came while the walk was cut short reached only the readers after the cut.
        if ring.head != pacer.startHead, !pacer.scheduled { scheduleWalk() }
    }

    func updateTracks(_ tracks: [TrackInfo]) {
        guard liveJoins > 0 else { return }
        self.tracks = tracks
        for r in readers where !r.closed {
            r.tracks = tracks
            r.emit(MR_READER_TRACKS_CHANGED)
        }
    }

    /// Brings one reader up to the head of the ring, skipping to the newest keyframe if it lags too far.
    func deliver(to reader: BusReader) {
        // What the plugin sends from these callbacks carries the stream (TcpConnection+Streaming.swift).
        let outer = mr_shim_delivering()
        mr_shim_set_delivering(1)
        defer { mr_shim_set_delivering(outer) }
        // A reader paused before its first delivery (RTSP between DESCRIBE and PLAY) gets nothing, not even
        // the header, until it is resumed.
        guard !reader.paused else { return fallBehind(reader) }
        if let header = reader.pendingHeader {
            reader.pendingHeader = nil
            var f = mr_frame(track: 0, flags: FrameFlags.header, pts: 0, dts: 0,
                             payload: OpaquePointer(Unmanaged.passUnretained(header).toOpaque()))
            withExtendedLifetime(header) { reader.callbacks.onFrames(reader.callbacks.user, reader.handle, &f, 1) }
            if reader.closed || reader.paused { return }
        }
        let head = ring.head
        if reader.cursor < ring.tail || Int(head - reader.cursor) > reader.maxLag {
            _ = skip(reader, head: head, announce: !reader.skippedWhilePaused)
        }
        reader.skippedWhilePaused = false
        if reader.waitingForKey {
            guard let gop = ring.nextGopStart(from: reader.cursor) else { reader.cursor = head; return }
            reader.cursor = gop
            reader.waitingForKey = false
        }
        guard reader.cursor < head else { return }
        let from = reader.cursor
        reader.cursor = head
        reader.deliveredCount.wrappingIncrement(by: Int64(head - from), ordering: .relaxed)
        // Bytes for the reader's stop event (on_flow_report): the ring's running total since the reader's last
        // delivery, looked up in the ring only when its cursor jumped (attach, skip); no division per delivery.
        if reader.bytesMarkSeq != from { reader.bytesMark = ring.bytesBefore(from) }
        reader.bytesDelivered &+= ring.totalBytes &- reader.bytesMark
        reader.bytesMark = ring.totalBytes
        reader.bytesMarkSeq = head
        var first = true
        ring.withCFrames(from: from, to: head) { run in
            guard !reader.closed, var base = run.baseAddress else { return }
            var count = run.count
            if first, reader.pendingDiscontinuity {
                reader.pendingDiscontinuity = false
                var marked = base.pointee
                marked.flags |= FrameFlags.discontinuity
                reader.callbacks.onFrames(reader.callbacks.user, reader.handle, &marked, 1)
                base += 1
                count -= 1
            }
            first = false
            if count > 0, !reader.closed { reader.callbacks.onFrames(reader.callbacks.user, reader.handle, base, count) }
        }
    }

    /// A reader paused because its socket is full (a player on a thin link) goes on falling behind: once it is
    /// more than its lag behind, it skips now instead of when it resumes. Its socket queue (NIO's watermarks)
    /// takes (high - low) / link rate to drain, 20 s for 192 KB at 10 KB/s; until then its counters would say
    /// nothing, and it would resume to a ring that had long evicted its place. Said once per pause: a thin link
    /// skips at every GOP while it waits.
    private func fallBehind(_ reader: BusReader) {
        // Paused before it had anything (RTSP before PLAY, the HLS plugin's counting readers): not behind.
        guard reader.deliveredCount.load(ordering: .relaxed) > 0 else { return }
        let head = ring.head
        guard reader.cursor < ring.tail || Int(head - reader.cursor) > reader.maxLag else { return }
        if skip(reader, head: head, announce: !reader.skippedWhilePaused) { reader.skippedWhilePaused = true }
    }

    /// Returns false when there was no keyframe to skip to.
    private func skip(_ reader: BusReader, head: UInt64, announce: Bool = true) -> Bool {
        let target: UInt64
        if let gop = ring.lastGopStart, gop > reader.cursor || reader.cursor < ring.tail {
            target = gop
        } else if reader.cursor < ring.tail {
            target = ring.tail
            reader.waitingForKey = true
        } else {
            return false  // no newer keyframe to jump to: keep going rather than jump backwards
        }
        let dropped = Int64(target - min(reader.cursor, target))
        reader.cursor = target
        reader.skippedCount.wrappingIncrement(by: dropped, ordering: .relaxed)
        reader.pendingDiscontinuity = true
        if announce { reader.emit(MR_READER_SKIPPED, dropped) }
        return true
    }

    /// Removes a reader (on this loop). Returns true if it was attached here.
    @discardableResult
    func detach(_ reader: BusReader) -> Bool {
        let index = readers.firstIndex { $0 === reader }
        if let index {
            readers.remove(at: index)
            pacer.readerRemoved(at: index)
        }
        liveJoins -= 1
        interest.wrappingDecrement(ordering: .relaxed)
        if liveJoins == 0 { ring.removeAll() }
        reader.bytesAtLeave.store(reader.bytesDelivered, ordering: .relaxed)
        onReaderLeft?(reader)
        return index != nil
    }

    /// The source is gone: every reader gets ENDED then CLOSED.
    func endAll() -> [BusReader] {
        let ended = readers
        readers.removeAll()
        pacer.resume = 0
        for r in ended where !r.closed {
            r.emit(MR_READER_ENDED)
            r.closed = true
            r.emit(MR_READER_CLOSED)
        }
        liveJoins -= ended.count
        interest.wrappingDecrement(by: ended.count, ordering: .relaxed)
        if liveJoins <= 0 { liveJoins = 0; ring.removeAll() }
        return ended
    }
}
