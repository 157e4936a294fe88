import PluginABI

/// A protocol's muxer, given by the plugin that first asked for a format.
struct MuxerSpec: @unchecked Sendable {
    let create: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> UnsafeMutableRawPointer?
    let onFrames: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<mr_frame>?, Int) -> Void
    let onTracks: (@convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void)?
    let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let user: UnsafeMutableRawPointer?
    weak var owner: HostContext?

    init?(_ cbs: UnsafePointer<mr_muxer_callbacks>?, user: UnsafeMutableRawPointer?, owner: HostContext?) {
        guard let cbs else { return nil }
        let local: mr_muxer_callbacks = ABICopy.read(cbs)
        guard let create = local.create, let onFrames = local.on_frames, let destroy = local.destroy else { return nil }
        self.create = create
        self.onFrames = onFrames
        self.onTracks = local.on_tracks
        self.destroy = destroy
        self.user = user
        self.owner = owner
    }
}

/// One protocol's packets of one source (`mr_ring`): muxed once on the source's home loop, fanned out to
/// that protocol's readers like source frames are. Lives while it has readers.
final class DerivedRing: @unchecked Sendable {
    let format: String
    unowned let source: Source
    let muxer: MuxerSpec
    let hub: RingHub
    private var state: UnsafeMutableRawPointer?
    private var closed = false

    init?(format: String, source: Source, muxer: MuxerSpec) {
        self.format = format
        self.source = source
        self.muxer = muxer
        self.hub = RingHub(home: source.home, bus: source.bus)
        hub.setTracks(source.tracks, notify: false)
        // Counted before the muxer may refuse: a failed init that got this far still runs deinit.
        LiveObjects.created(.derivedRing)
        guard let state = muxer.create(muxer.user, handle) else { return nil }
        self.state = state
    }

    deinit { LiveObjects.destroyed(.derivedRing) }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> DerivedRing? {
        guard let handle else { return nil }
        return Unmanaged<DerivedRing>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    var tracks: [TrackInfo] { source.tracks }

    /// Primes a new ring with the source's newest GOP so its first reader starts at once.
    func start(with snapshot: [(BusFrame, Bool)]) { feed(snapshot) }

    func feed(_ batch: [(BusFrame, Bool)]) {
        guard !closed, let state, !batch.isEmpty else { return }
        let cFrames = batch.map { $0.0.cFrame }
        withExtendedLifetime(batch) {
            cFrames.withUnsafeBufferPointer { muxer.onFrames(state, handle, $0.baseAddress, $0.count) }
        }
    }

    func tracksChanged() {
        guard !closed, let state else { return }
        hub.setTracks(source.tracks, notify: true)
        muxer.onTracks?(state, handle)
    }

    func write(_ packets: [BusFrame]) {
        guard !closed else { return }
        hub.append(packets.map { ($0, $0.isKey) })
    }

    func close() {
        guard !closed else { return }
        closed = true
        hub.end()
        if let state { muxer.destroy(state) }
        state = nil
    }
}
