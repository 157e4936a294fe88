import Atomics
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// A published stream: its tracks, its frame hub and the derived rings other protocols mux into.
/// Mutable state is confined to the home loop unless marked as guarded by the bus lock.
public final class Source: @unchecked Sendable {
    public let key: StreamKey
    let home: EventLoop
    let homeIndex: Int
    let hub: RingHub
    unowned let bus: StreamBus
    public let createdAt = NIODeadline.now()

    // Bus lock.
    var publisher: Publisher?
    var isReady = false
    var generation = 0
    /// This stream's own reconnect window (an on_publish answer's continue_push_ms), nil for [server]'s.
    var reconnectWindowMs: Int?

    // Home loop.
    private(set) var tracks: [TrackInfo] = []
    private var hasVideo = false
    private var derived: [String: DerivedRing] = [:]
    private var tsOffset: Int64?
    private var lastDts: Int64 = 0
    private var lastDelta: Int64 = 40_000
    private var resumePending = false
    private var noneReaderCheck: Scheduled<Void>?
    private var ended = false
    let framesIn = ManagedAtomic<Int64>(0)
    let bytesIn = ManagedAtomic<Int64>(0)
    var protocolName = ""
    var peer = ""
    /// What lists and APIs show, readable from any thread; written on the home loop when tracks change.
    private let summaryLock = NIOLock()
    private var summaryTracks: [TrackInfo] = []
    private var summaryProtocol = ""
    private var summaryPeer = ""
    private var summaryFormats: [String] = []

    /// Readers of the source and of all its derived rings.
    let totalReaders = ManagedAtomic<Int>(0)
    /// The publisher's wall-clock references per track (ABI 1.3), for players' sender reports.
    let clockRefs = ClockReferences()
    /// Readers' keyframe requests to the publisher (ABI 1.4).
    let keyframes = KeyframeRequests()

    init(key: StreamKey, homeIndex: Int, bus: StreamBus) {
        self.key = key
        self.homeIndex = homeIndex
        self.home = bus.pollers.loop(homeIndex)
        self.bus = bus
        self.hub = RingHub(home: home, bus: bus)
        hub.onReaderLeft = { [weak self] r in self?.readerLeft(r) }
        LiveObjects.created(.source)
    }

    deinit { LiveObjects.destroyed(.source) }

    // MARK: publishing (home loop)

    func becomeReady(tracks newTracks: [TrackInfo], protocolName: String, peer: String) {
        self.protocolName = protocolName
        self.peer = peer
        let changed = !tracks.isEmpty && tracks != newTracks
        tracks = newTracks
        hasVideo = newTracks.contains { $0.isVideo }
        hub.setTracks(newTracks, notify: changed)
        if changed { for d in derived.values { d.tracksChanged() } }
        publishSummary()
        scheduleNoneReaderCheck()
    }

    func updateTrack(_ index: Int, _ info: TrackInfo) {
        guard index >= 0, index < tracks.count, tracks[index] != info else { return }
        tracks[index] = info
        hasVideo = tracks.contains { $0.isVideo }
        hub.setTracks(tracks, notify: true)
        for d in derived.values { d.tracksChanged() }
        publishSummary()
    }

    private func publishSummary() {
        let formats = derived.keys.sorted()
        summaryLock.withLock {
            summaryTracks = tracks
            summaryProtocol = protocolName
            summaryPeer = peer
            summaryFormats = formats
        }
    }

    /// A returning publisher continues this source: its timestamps are shifted to follow the last frame.
    func resume() { resumePending = true }

    func write(_ frames: [BusFrame]) {
        guard !ended, let first = frames.first else { return }
        if tsOffset == nil {
            tsOffset = -first.dts
        } else if resumePending, let offset = tsOffset {
            tsOffset = lastDts + lastDelta - first.dts
            _ = offset
        }
        let markFirst = resumePending
        resumePending = false
        let offset = tsOffset ?? 0
        var batch: [(BusFrame, Bool)] = []
        batch.reserveCapacity(frames.count)
        var bytes: Int64 = 0
        for (i, var f) in frames.enumerated() {
            if i == 0 && markFirst { f.flags |= FrameFlags.discontinuity }
            f.pts += offset
            f.dts += offset
            if f.dts > lastDts, f.dts - lastDts < 1_000_000 { lastDelta = f.dts - lastDts }
            lastDts = f.dts
            let isVideo = Int(f.track) < tracks.count && tracks[Int(f.track)].isVideo
            batch.append((f, hasVideo ? (isVideo && f.isKey) : true))
            bytes += Int64(f.payload.count)
        }
        framesIn.wrappingIncrement(by: Int64(frames.count), ordering: .relaxed)
        bytesIn.wrappingIncrement(by: bytes, ordering: .relaxed)
        hub.append(batch)
        if !derived.isEmpty {
            for d in derived.values { d.feed(batch) }
        }
    }

    // MARK: reading (home loop)

    func join(_ reader: BusReader, format: String?, muxer: MuxerSpec?) {
        totalReaders.wrappingIncrement(ordering: .relaxed)
        noneReaderCheck?.cancel()
        if let format {
            guard let ring = derivedRing(format, muxer: muxer) else {
                totalReaders.wrappingDecrement(ordering: .relaxed)
                reader.loop.execute { self.bus.refuse(reader, reason: "no muxer for format \(format)") }
                return
            }
            ring.hub.join(reader)
        } else {
            hub.join(reader)
        }
        bus.events.emit(BusEvent(type: MR_EVENT_PLAY, key: key, protocolName: reader.protocolName,
                                 peer: reader.peer, readers: totalReaders.load(ordering: .relaxed)))
    }

    private func derivedRing(_ format: String, muxer: MuxerSpec?) -> DerivedRing? {
        if let existing = derived[format] { return existing }
        guard let muxer, let ring = DerivedRing(format: format, source: self, muxer: muxer) else { return nil }
        derived[format] = ring
        publishSummary()
        ring.hub.onReaderLeft = { [weak self, weak ring] r in
            guard let self else { return }
            self.readerLeft(r)
            self.home.execute {
                guard let ring, ring.hub.readerCount.load(ordering: .relaxed) == 0,
                      self.derived[format] === ring else { return }
                // On-demand muxing: nobody watches this format any more.
                self.derived[format] = nil
                ring.close()
                self.publishSummary()
            }
        }
        ring.start(with: hub.snapshot)
        return ring
    }

    private func readerLeft(_ reader: BusReader) {
        let left = totalReaders.wrappingDecrementThenLoad(ordering: .relaxed)
        var e = BusEvent(type: MR_EVENT_STOP, key: key, protocolName: reader.protocolName, peer: reader.peer, readers: left)
        e.bytes = reader.bytesAtLeave.load(ordering: .relaxed)
        e.durationMs = (NIODeadline.now() - reader.createdAt).nanoseconds / 1_000_000
        bus.events.emit(e)
        if left == 0 { home.execute { self.scheduleNoneReaderCheck() } }
    }

    private func scheduleNoneReaderCheck() {
        noneReaderCheck?.cancel()
        guard !ended else { return }
        let delay = TimeAmount.milliseconds(Int64(bus.settings.noneReaderMs))
        noneReaderCheck = home.scheduleTask(in: delay) { [weak self] in
            guard let self, !self.ended, self.totalReaders.load(ordering: .relaxed) == 0 else { return }
            self.bus.events.emit(BusEvent(type: MR_EVENT_NONE_READER, key: self.key, protocolName: self.protocolName,
                                          peer: self.peer, readers: 0))
        }
    }

    /// The derived rings whose muxer belongs to a stopping plugin end with it.
    func dropDerived(ownedBy owner: HostContext) {
        for (format, ring) in derived where ring.muxer.owner === owner {
            derived[format] = nil
            ring.close()
        }
    }

    func end() {
        guard !ended else { return }
        ended = true
        keyframes.clearAll()
        noneReaderCheck?.cancel()
        hub.end()
        for ring in derived.values { ring.close() }
        derived.removeAll()
    }

    // MARK: introspection (any thread)

    public func describe() -> [String: Any] {
        let (tracks, proto, peer, formats) = summaryLock.withLock { (summaryTracks, summaryProtocol, summaryPeer, summaryFormats) }
        return [
            "vhost": key.vhost, "app": key.app, "stream": key.stream,
            "protocol": proto, "peer": peer,
            "readers": totalReaders.load(ordering: .relaxed),
            "frames_in": framesIn.load(ordering: .relaxed), "bytes_in": bytesIn.load(ordering: .relaxed),
            "alive_seconds": (NIODeadline.now() - createdAt).nanoseconds / 1_000_000_000,
            "derived": formats,
            "keyframe_requests": keyframes.forwarded.load(ordering: .relaxed),
            "tracks": tracks.map { t -> [String: Any] in
                ["codec": t.codecName,
                 "kind": t.isVideo ? "video" : (t.kind == Int32(MR_TRACK_AUDIO.rawValue) ? "audio" : "data"),
                 "clock_rate": t.clockRate, "channels": t.channels, "width": t.width, "height": t.height]
            },
        ]
    }
}
