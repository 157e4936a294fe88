import BusMedia
import HlsFormats
import MediaFormats
import MP4Formats
import MpegTS
import MRPluginKit
import PluginABI

/// The muxer of one stream's HLS, created by the first request and stopped when nobody asked for a while:
/// a reader of the source on one loop that cuts segments at video keyframes once `segmentUs` has passed (any
/// frame of an audio-only stream), and writes each segment both as MPEG-TS and as fMP4 into the store, the
/// fMP4 one part by part as LL-HLS partial segments.
final class HlsStream: ReaderHandler, @unchecked Sendable {
    private struct Building {
        let startDts: Int64
        let discontinuity: Bool
        var ts: [UInt8]
    }

    let key: String
    let store: HlsStore
    let loop: Int32
    private let request: HlsRequest
    private unowned let plugin: HlsPlugin
    private var host: PluginHost { plugin.host }
    private var reader: OpaquePointer?
    private lazy var box = ReaderBox(self)
    private var ts: TsMuxer?
    private var parts: HlsPartCutter?
    private let disk: HlsDiskWriter?
    private var hasVideo = false
    private var building: Building?
    /// Segment numbers continue from the wall clock, so a muxer started again for the same stream never reuses
    /// a number a player has seen; its first segment is marked as a discontinuity for the same reason.
    private var nextSequence: Int
    private var discontinuity = true
    /// A segment that grows past this without a keyframe is cut anyway (memory stays bounded).
    private static let maxSegmentBytes = 32 << 20
    private var startedUs: Int64?
    private var timer: OpaquePointer?
    private lazy var timerUser: UnsafeMutableRawPointer = WeakBox.make(self)
    private let createdUs: Int64
    private var stopped = false
    private var lastDts: Int64?

    init(plugin: HlsPlugin, request: HlsRequest, loop: Int32) {
        self.plugin = plugin
        self.request = request
        self.key = request.key
        self.loop = loop
        let settings = plugin.settings
        self.store = HlsStore(host: plugin.host, window: settings.window, keep: settings.keep, segmentMs: settings.segmentMs,
                              partMs: settings.serving.partMs, lowLatency: settings.serving.lowLatency)
        self.disk = settings.serving.diskRoot.isEmpty ? nil
            : HlsDiskWriter(host: plugin.host, folder: settings.serving.diskRoot + "/" + request.app + "/" + request.stream)
        self.createdUs = plugin.host.table.now_us()
        self.nextSequence = Int((WallClock.microseconds() / 1000) / Int64(max(1, plugin.settings.segmentMs)))
    }

    /// [loop] Opens the reader (waiting for a publisher as long as the server's play wait).
    func start() -> Bool {
        let (rc, out) = host.openReader(vhost: request.vhost, app: request.app, stream: request.stream, protocolName: "hls",
                                        peer: "hls", loop: loop, box: box)
        guard rc == MR_OK else {
            host.log(MR_LOG_WARNING, "HLS of \(key): cannot read the stream: \(host.lastError)")
            return false
        }
        if reader == nil { reader = out }
        timer = host.table.timer_start(host.host, loop, 1000, 1000, { user, _ in WeakBox<HlsStream>.value(user)?.tick() }, timerUser)
        return true
    }

    /// Once a second: stop when nobody asked for a while, or when the stream gave no segment in time.
    private func tick() {
        let now = host.table.now_us()
        if now - store.lastRequestUs > Int64(plugin.settings.idleMs) * 1000 {
            host.log(MR_LOG_INFO, "HLS of \(key): no request for \(plugin.settings.idleMs / 1000) s; muxing stops")
            return stop()
        }
        plugin.answer(store.expired(now: now))
        let patienceUs = max(20_000_000, 3 * Int64(plugin.settings.segmentMs) * 1000)
        if let started = startedUs, now - started > patienceUs, !store.hasSegments {
            host.log(MR_LOG_WARNING, "HLS of \(key): no segment after \(patienceUs / 1_000_000) s (no keyframe?); muxing stops")
            return stop()
        }
    }

    /// [loop] Closes the reader, answers waiting requests and leaves the registry.
    func stop() {
        shutDown()
        plugin.forget(self)
    }

    /// [loop] Everything but leaving the registry (the plugin's own stop empties it).
    func shutDown() {
        guard !stopped else { return }
        stopped = true
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
        if let reader { host.table.reader_close(reader) }
        reader = nil
        plugin.answer(store.fail())
    }

    deinit { WeakBox<HlsStream>.release(timerUser) }

    // MARK: reader

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            self.reader = reader
            startedUs = host.table.now_us()
            setUpMuxers(reader)
            host.log(MR_LOG_INFO, "HLS of \(key): muxing, \(plugin.settings.segmentMs) ms segments")
        case MR_READER_TRACKS_CHANGED:
            // The open segment was muxed with the old parameters: it ends here.
            if let b = building, let last = lastDts { finish(b, endDts: last) }
            building = nil
            setUpMuxers(reader)
            discontinuity = true
        case MR_READER_NOT_FOUND, MR_READER_ENDED:
            self.reader = nil
            host.log(MR_LOG_INFO, "HLS of \(key): \(event == MR_READER_ENDED ? "the stream ended" : "no such stream")")
            plugin.answer(store.fail())
        case MR_READER_CLOSED:
            self.reader = nil
            if !stopped { stop() }
        default:
            break
        }
    }

    private func setUpMuxers(_ reader: OpaquePointer) {
        let tracks = (0..<host.table.reader_track_count(reader)).map { i in host.trackInfo(reader: reader, i).flatMap(MediaTrack.init) }
        hasVideo = tracks.contains { $0?.codec.isVideo == true }
        if tracks.contains(where: { $0?.codec == .vp8 }) { host.log(MR_LOG_INFO, "HLS of \(key): vp8 cannot go into TS or fMP4 here, that track is left out") }
        ts = TsMuxer(tracks: tracks)
        parts = HlsPartCutter(tracks: tracks, partMs: plugin.settings.serving.partMs)
        let initSegment = parts?.initSegment()
        store.setInit(initSegment)
        if let initSegment, let disk, let buf = host.buffer(initSegment) { disk.writeInit(buf) }
        building = nil
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard !stopped else { return }
        let segmentUs = Int64(plugin.settings.segmentMs) * 1000
        for f in frames {
            guard let payload = f.payload else { continue }
            if f.flags & UInt32(MR_FRAME_DISCONTINUITY) != 0 { discontinuity = true }
            let boundary = f.flags & UInt32(MR_FRAME_KEY) != 0 || !hasVideo
            if let b = building {
                let due = boundary && (discontinuity || f.dts &- b.startDts >= segmentUs)
                if due || b.ts.count > Self.maxSegmentBytes {
                    finish(b, endDts: f.dts)
                    building = nil
                }
            }
            lastDts = f.dts
            if building == nil {
                guard boundary, var t = ts else { continue }
                building = Building(startDts: f.dts, discontinuity: discontinuity, ts: t.header())
                ts = t
                parts?.begin(at: f.dts)
                store.begin(sequence: nextSequence, discontinuity: discontinuity)
                discontinuity = false
            }
            let data = host.bytes(of: payload)
            let bytes = Array(data)[...]
            let key = f.flags & UInt32(MR_FRAME_KEY) != 0
            if var t = ts, var b = building {
                building = nil   // one owner while mutating, so appending does not copy the segment
                t.mux(track: Int(f.track), pts: f.pts, dts: f.dts, key: key, data: bytes, into: &b.ts)
                ts = t
                building = b
                if var c = parts {
                    parts = nil   // one owner while mutating, so the part's bytes are not copied
                    let done = c.mux(track: Int(f.track), pts: f.pts, dts: f.dts, key: key, data: bytes)
                    parts = c
                    publish(done)
                }
            }
        }
    }

    /// Parts go to the store as host buffers: the only copy of the fMP4 bytes, shared by part and segment.
    private func publish(_ done: [HlsPartCutter.Part]) {
        for p in done {
            guard let buf = host.buffer(p.bytes) else { continue }
            plugin.answer(store.addPart(HlsStore.Part(buf: buf, durationUs: p.durationUs, independent: p.independent)))
        }
    }

    private func finish(_ b: Building, endDts: Int64) {
        if var c = parts {
            parts = nil
            // Frames the fMP4 muxer still holds (waiting for their durations) belong to this segment.
            let done = c.finish(endDts: endDts)
            parts = c
            publish(done)
        }
        let finished = store.finishSegment(durationUs: max(1, min(endDts &- b.startDts, 3_600_000_000)), ts: host.buffer(b.ts),
                                           retain: disk != nil)
        nextSequence += 1
        plugin.answer(finished.waiters)
        if let disk, let segment = finished.segment {
            disk.write(segment, evicted: finished.evicted,
                       playlists: [(.ts, store.playlist(.ts, uriQuery: "", lowLatency: false)),
                                   (.fmp4, store.playlist(.fmp4, uriQuery: "", lowLatency: false))])
        }
    }
}
