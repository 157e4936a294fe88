import PluginABI
import Atomics
import NIOCore

/// A ring on its home loop (where its writer runs) plus one mirror per loop that has readers.
/// A write costs one hop per interested loop, whatever the number of readers there.
final class RingHub: @unchecked Sendable {
    let home: EventLoop
    unowned let bus: StreamBus
    let settings: BusSettings
    private let master: FrameRing
    private var mirrors: [LoopMirror?]
    private(set) var header: MediaBuffer?
    private(set) var tracks: [TrackInfo] = []
    /// Readers attached through this hub, on any loop.
    let readerCount = ManagedAtomic<Int>(0)
    var onReaderLeft: (@Sendable (BusReader) -> Void)?
    private var ended = false

    init(home: EventLoop, bus: StreamBus) {
        self.home = home
        self.bus = bus
        self.settings = bus.settings
        self.master = FrameRing(capacity: settings.ringCapacity, softLimit: settings.ringSoftLimit)
        // Readers read their loop's mirror; the home ring is only ever read from its newest keyframe (a joining
        // reader's or derived ring's start), so the window behind it would be memory nobody reads: a camera
        // with no viewer holds one GOP.
        master.keepsOnlyLastGop = true
        self.mirrors = Array(repeating: nil, count: bus.pollers.count)
        LiveObjects.created(.ring)
    }

    deinit { LiveObjects.destroyed(.ring) }

    /// Home loop. Appends a batch and sends it to every loop that has readers, one task per loop.
    func append(_ batch: [(BusFrame, Bool)]) {
        guard !batch.isEmpty, !ended else { return }
        for (frame, gop) in batch { master.append(frame, gopStart: gop) }
        for case let mirror? in mirrors where mirror.interest.load(ordering: .relaxed) > 0 {
            if mirror.inFlight.load(ordering: .relaxed) + batch.count > settings.ringCapacity {
                if mirror.lostPending.loadThenWrappingIncrement(by: batch.count, ordering: .relaxed) == 0 {
                    mirror.loop.execute { mirror.lost(mirror.lostPending.exchange(0, ordering: .relaxed)) }
                }
            } else {
                mirror.inFlight.wrappingIncrement(by: batch.count, ordering: .relaxed)
                mirror.loop.execute { mirror.receive(batch) }
            }
        }
    }

    /// Home loop.
    func setHeader(_ header: MediaBuffer?) { self.header = header }

    /// Home loop.
    func setTracks(_ tracks: [TrackInfo], notify: Bool) {
        self.tracks = tracks
        guard notify else { return }
        for case let mirror? in mirrors where mirror.interest.load(ordering: .relaxed) > 0 {
            mirror.loop.execute { mirror.updateTracks(tracks) }
        }
    }

    var snapshot: [(BusFrame, Bool)] { master.snapshotFromLastGop() }

    /// Home loop. Frames the home ring holds (its newest GOP), for tests and introspection.
    var retainedFrames: Int { master.count }

    /// Home loop. Sends the reader to its loop's mirror with the current GOP.
    func join(_ reader: BusReader) {
        guard !ended else {
            reader.loop.execute {
                guard !reader.closed else { return }
                reader.emit(MR_READER_ENDED)
                reader.closed = true
                reader.emit(MR_READER_CLOSED)
                self.bus.unregister(reader)
            }
            return
        }
        let mirror: LoopMirror
        if let existing = mirrors[reader.loopIndex] {
            mirror = existing
        } else {
            mirror = LoopMirror(loop: reader.loop, capacity: settings.ringCapacity, softLimit: settings.ringSoftLimit,
                                mergeWriteMs: settings.mergeWriteMs, coalesceAudio: settings.coalesceAudio)
            mirror.onReaderLeft = { [weak self] r in self?.readerLeft(r) }
            mirrors[reader.loopIndex] = mirror
        }
        mirror.interest.wrappingIncrement(ordering: .relaxed)
        readerCount.wrappingIncrement(ordering: .relaxed)
        let snap = master.snapshotFromLastGop()
        let header = self.header
        let tracks = self.tracks
        reader.loop.execute { mirror.attach(reader, snapshot: snap, header: header, tracks: tracks) }
    }

    private func readerLeft(_ reader: BusReader) {
        readerCount.wrappingDecrement(ordering: .relaxed)
        onReaderLeft?(reader)
    }

    /// Home loop. Ends every reader (ENDED, CLOSED) on its own loop.
    func end() {
        guard !ended else { return }
        ended = true
        master.removeAll()
        for case let mirror? in mirrors {
            mirror.loop.execute {
                let gone = mirror.endAll()
                for r in gone {
                    self.readerCount.wrappingDecrement(ordering: .relaxed)
                    self.bus.unregister(r)
                }
            }
        }
    }

    /// Readers of this hub, per loop, for introspection (runs on each loop).
    func collectReaders() -> EventLoopFuture<[BusReader]> {
        let futures = mirrors.compactMap { $0 }.map { m in m.loop.submit { m.readerList } }
        return EventLoopFuture.whenAllSucceed(futures, on: home).map { $0.flatMap { $0 } }
    }
}
