import BusMedia
import MediaFormats
import MP4Formats
import MRPluginKit
import PluginABI

/// An MP4 file published as a stream, at real time: started by the first player that asks for
/// `<vod_app>/<file>`, shared by every player of it, closed when nobody has watched it for a while.
///
/// The file is parsed and its samples are read on worker threads (a disk read never stalls a loop); the
/// loop's timer hands the samples read ahead to the bus when their time comes. The bus sees one continuous
/// timeline, whatever seeks happen: a seek changes which media is played next, not the clock, so players of
/// every protocol keep monotonic timestamps; the first frame after a seek carries the discontinuity flag.
final class Mp4VodSource: @unchecked Sendable {
    struct Item {
        let track: Int
        let sample: Mp4FileSample
        let dtsUs: Int64
        let ptsUs: Int64
    }

    private struct Ready {
        let item: Item
        let data: [UInt8]
    }

    let target: Mp4Recorder.Target
    let path: String
    let loop: Int32
    private unowned let plugin: Mp4Plugin
    private var host: PluginHost { plugin.host }
    private let loopPlayback: Bool

    // Set by the worker that opens the file, read on the loop after it.
    private var file: Mp4FileSource?
    private var tracks: [Mp4FileTrack] = []
    private var items: [Item] = []
    private var openError: String?

    private var source: OpaquePointer?
    private var ingest: SourceTracks?
    private var timer: OpaquePointer?
    private lazy var timerUser: UnsafeMutableRawPointer = WeakBox.make(self)

    /// The next item to read ahead, and the read-ahead results waiting for their time.
    private var nextRead = 0
    private var ready: [Ready] = []
    private var reading = false
    /// Bumped by every seek: a read-ahead started before it is thrown away.
    private var generation = 0
    /// Bus time = media time - mediaOrigin + busOrigin, re-anchored at each seek.
    private var mediaOrigin: Int64 = 0
    private var busOrigin: Int64 = 0
    private var clockStartUs: Int64 = 0
    private var lastBusDts: Int64 = 0
    private var markDiscontinuity = false
    private var idleSinceUs: Int64?
    private(set) var closed = false
    /// [loop] Set once the file is parsed and published; seeks before that are refused.
    private var isOpen = false

    /// Read-ahead: at most this much media time beyond now, and this many bytes per worker job.
    private static let leadUs: Int64 = 1_000_000
    private static let maxReadBytes = 8 << 20
    /// Nobody watching for this long closes the file.
    private static let idleUs: Int64 = 10_000_000

    init(plugin: Mp4Plugin, target: Mp4Recorder.Target, path: String, loop: Int32, loopPlayback: Bool) {
        self.plugin = plugin
        self.target = target
        self.path = path
        self.loop = loop
        self.loopPlayback = loopPlayback
    }

    var durationMs: Int64 { (items.last.map { $0.dtsUs - (items.first?.dtsUs ?? 0) } ?? 0) / 1000 }
    /// The length once the file is open, for queries from other loops.
    let duration = LockedValue<Int64?>(nil)

    // MARK: opening

    /// [any thread] Parses the file on a worker, then publishes on the loop.
    func open() {
        if !host.onWorker({ self.parse() }, thenOnLoop: loop, { self.opened() }) { plugin.forgetVod(self) }
    }

    /// [worker]
    private func parse() {
        do {
            let f = try Mp4FileSource(path: path)
            let reader = try Mp4FileReader(source: f)
            var all: [Item] = []
            var kept: [Mp4FileTrack] = []
            for t in reader.tracks where t.media != nil && !t.samples.isEmpty {
                let index = kept.count
                kept.append(t)
                for s in t.samples {
                    all.append(Item(track: index, sample: s, dtsUs: t.microseconds(s.dts), ptsUs: t.microseconds(s.pts)))
                }
            }
            guard !kept.isEmpty else {
                openError = "no track that can be played"
                return
            }
            // Interleaved by decode time, as a player needs them.
            all.sort { $0.dtsUs != $1.dtsUs ? $0.dtsUs < $1.dtsUs : $0.track < $1.track }
            file = f
            tracks = kept
            items = all
            if reader.endsEarly { plugin.host.log(MR_LOG_WARNING, "VOD \(path): the file is cut short; playing what is there") }
        } catch {
            openError = "\(error)"
        }
    }

    /// [loop]
    private func opened() {
        guard !closed else { return }   // the plugin stopped while the file was parsed
        if let openError {
            host.log(MR_LOG_WARNING, "VOD \(target.app)/\(target.stream): \(path): \(openError)")
            return close()
        }
        guard let s = host.openSource(vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "mp4-vod",
                                      peer: path, loop: loop) else {
            host.log(MR_LOG_WARNING, "VOD \(target.app)/\(target.stream): cannot publish: \(host.lastError)")
            return close()
        }
        source = s
        // Known before the tracks are declared: a player's DESCRIBE may ask for it as soon as they are.
        duration.withLock { $0 = durationMs }
        isOpen = true
        let ingest = SourceTracks(host: host, source: s)
        for i in tracks.indices { ingest.expect(i) }   // declared together, not at the first one set
        for (i, t) in tracks.enumerated() {
            if let media = t.media { ingest.set(i, media) }
        }
        self.ingest = ingest
        mediaOrigin = items.first?.dtsUs ?? 0
        busOrigin = 0
        clockStartUs = host.table.now_us()
        host.log(MR_LOG_INFO, "VOD \(target.app)/\(target.stream) from \(path): \(tracks.count) tracks, \(durationMs / 1000) s")
        timer = host.table.timer_start(host.host, loop, 0, 20, { user, _ in WeakBox<Mp4VodSource>.value(user)?.tick() }, timerUser)
    }

    // MARK: playing

    /// [loop] Bus time now, on the playback clock.
    private var busNow: Int64 { host.table.now_us() - clockStartUs }

    private func busTime(_ mediaUs: Int64) -> Int64 { mediaUs - mediaOrigin + busOrigin }

    private func tick() {
        guard !closed, let ingest else { return }
        let now = busNow
        var written = 0
        while let first = ready.first, busTime(first.item.dtsUs) <= now {
            ready.removeFirst()
            let dts = max(busTime(first.item.dtsUs), lastBusDts)
            let pts = dts + (first.item.ptsUs - first.item.dtsUs)
            var flags: UInt32 = first.item.sample.isSync && tracks[first.item.track].media?.codec.isVideo == true ? UInt32(MR_FRAME_KEY) : 0
            if markDiscontinuity {
                flags |= UInt32(MR_FRAME_DISCONTINUITY)
                markDiscontinuity = false
            }
            ingest.write(first.item.track, flags: flags, pts: pts, dts: dts, first.data)
            lastBusDts = dts
            written += 1
        }
        readAhead(now: now)
        if nextRead >= items.count, ready.isEmpty, !reading {
            if loopPlayback, !items.isEmpty {
                seek(toMediaUs: items[0].dtsUs, discontinuity: true)
            } else {
                host.log(MR_LOG_INFO, "VOD \(target.app)/\(target.stream): end of file")
                return close()
            }
        }
        if let s = source, host.table.source_reader_count(s) == 0 {
            let t = host.table.now_us()
            if let since = idleSinceUs, t - since > Self.idleUs {
                host.log(MR_LOG_INFO, "VOD \(target.app)/\(target.stream): nobody watches; closed")
                return close()
            }
            if idleSinceUs == nil { idleSinceUs = t }
        } else {
            idleSinceUs = nil
        }
    }

    /// Starts a worker job for the items due within the lead, unless one runs.
    private func readAhead(now: Int64) {
        guard !reading, nextRead < items.count, let file else { return }
        let horizon = now + Self.leadUs
        var end = nextRead
        var bytes = 0
        while end < items.count, busTime(items[end].dtsUs) <= horizon, bytes < Self.maxReadBytes {
            bytes += items[end].sample.size
            end += 1
        }
        guard end > nextRead else { return }
        let job = ReadJob(source: self, file: file, items: Array(items[nextRead..<end]), generation: generation,
                          lengthSizes: tracks.map { $0.media?.nalLengthSize ?? 4 })
        nextRead = end
        reading = true
        if !host.onWorker({ job.run() }, thenOnLoop: loop, { job.source.readDone(job) }) { reading = false }
    }

    /// [loop]
    private func readDone(_ job: ReadJob) {
        reading = false
        guard !closed else { return }
        if let error = job.error {
            host.log(MR_LOG_ERROR, "VOD \(target.app)/\(target.stream): \(path): \(error)")
            return close()
        }
        guard job.generation == generation else { return }
        for (item, data) in zip(job.items, job.results) { ready.append(Ready(item: item, data: data)) }
    }

    /// [loop] Plays on from the last sync sample of the video track (of the first track without video) at or
    /// before `ms`; returns the media position it lands on, in ms.
    func seek(toMs ms: Int64) -> Int64? {
        guard isOpen, !closed, !items.isEmpty else { return nil }
        let ms = min(max(0, ms), durationMs)
        let main = tracks.firstIndex { $0.media?.codec.isVideo == true } ?? 0
        let t = tracks[main]
        // Positions count from the first picture shown (B-frames decode before it; AAC priming may sit before it).
        let origin = t.samples.map { t.microseconds($0.pts) }.min() ?? 0
        guard let i = t.syncSample(atOrBefore: origin + ms * 1000) else { return nil }
        let landed = (t.microseconds(t.samples[i].pts) - origin) / 1000
        seek(toMediaUs: t.microseconds(t.samples[i].dts), discontinuity: true)
        host.log(MR_LOG_INFO, "VOD \(target.app)/\(target.stream): seek to \(ms) ms lands on \(landed) ms")
        return landed
    }

    private func seek(toMediaUs target: Int64, discontinuity: Bool) {
        generation += 1
        ready.removeAll()
        // Every track restarts at the same media time; audio before the keyframe is not needed.
        nextRead = items.firstIndex { $0.dtsUs >= target } ?? items.count
        if nextRead < items.count, let k = items[nextRead...].firstIndex(where: { tracks[$0.track].media?.codec.isVideo == true }) {
            // Start with the keyframe itself, not with audio that precedes it by a few ms.
            nextRead = min(nextRead, k)
        }
        mediaOrigin = target
        busOrigin = max(busNow, lastBusDts + 1000)
        markDiscontinuity = discontinuity
    }

    /// [loop]
    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
        if let s = source { host.table.source_close(s) }
        source = nil
        ingest = nil
        plugin.forgetVod(self)
    }

    deinit { WeakBox<Mp4VodSource>.release(timerUser) }

    private struct VodReadError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Samples read on a worker, in order.
    private final class ReadJob: @unchecked Sendable {
        let source: Mp4VodSource
        let file: Mp4FileSource
        let items: [Item]
        let generation: Int
        let lengthSizes: [Int]
        var results: [[UInt8]] = []
        var error: String?

        init(source: Mp4VodSource, file: Mp4FileSource, items: [Item], generation: Int, lengthSizes: [Int]) {
            self.source = source
            self.file = file
            self.items = items
            self.generation = generation
            self.lengthSizes = lengthSizes
        }

        func run() {
            do {
                for item in items {
                    let bytes = try file.read(offset: item.sample.offset, count: item.sample.size)
                    let n = item.track < lengthSizes.count ? lengthSizes[item.track] : 4
                    guard let framed = n == 4 ? bytes : NalUnits.normalize(bytes[...], from: n) else {
                        throw VodReadError(message: "sample at \(item.sample.offset) has a NAL length past its end")
                    }
                    results.append(framed)
                }
            } catch {
                self.error = "\(error)"
            }
        }
    }
}
