import BusMedia
import MediaFormats
import MP4Formats
import MRPluginKit
import PluginABI

/// Records one stream to fragmented MP4 files: a reader of the source on one loop muxes every frame into a
/// moof+mdat, and the file grows by whole fragments, so a file cut short (the server killed, the disk full)
/// still plays up to its last fragment. Files start at a video keyframe (any frame of an audio-only stream)
/// and a new one starts at the first keyframe after `segmentSeconds`, or when the codecs change.
final class Mp4Recorder: ReaderHandler, @unchecked Sendable {
    struct Target: Sendable {
        let vhost: String
        let app: String
        let stream: String
        var key: String { "\(vhost.isEmpty ? "__defaultVhost__" : vhost)/\(app)/\(stream)" }
    }

    private struct OpenFile {
        let writer: RecordFileWriter
        let startDts: Int64
        let startEpoch: Int
        var lastDts: Int64
        var pending: [UInt8]
        var lastFlushDts: Int64
    }

    let target: Target
    let loop: Int32
    let template: String
    let segmentUs: Int64
    private unowned let plugin: Mp4Plugin
    private var host: PluginHost { plugin.host }
    private var reader: OpaquePointer?
    private lazy var box = ReaderBox(self)
    private var muxer: Fmp4Muxer?
    private var tracks: [MediaTrack?] = []
    private var hasVideo = false
    private var file: OpenFile?
    private var sequence = 0
    private(set) var stopped = false
    /// [loop] Whether start() opened a reader (whose callbacks end with CLOSED unless we close it).
    private var readerEverOpened = false
    /// Bytes gathered before a write is queued: about one write per half second of stream.
    private static let flushBytes = 1 << 20
    private static let flushUs: Int64 = 500_000
    /// The path of the file being written, for status queries from any thread.
    let currentPath = LockedValue<String?>(nil)

    init(plugin: Mp4Plugin, target: Target, loop: Int32, template: String, segmentSeconds: Int) {
        self.plugin = plugin
        self.target = target
        self.loop = loop
        self.template = template
        self.segmentUs = Int64(segmentSeconds) * 1_000_000
    }

    /// [any thread] Opens the reader; false if the bus refused it.
    func start() -> Bool {
        let (rc, out) = host.openReader(vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "mp4-record",
                                        peer: "record", loop: loop, box: box)
        guard rc == MR_OK, let out else {
            host.log(MR_LOG_WARNING, "recording \(target.key): cannot read the stream: \(host.lastError)")
            return false
        }
        if reader == nil { reader = out }   // STARTED may have come inside the call
        readerEverOpened = true
        return true
    }

    /// [loop] Ends the current file and the reader. The recorder leaves the registry once no callback of its
    /// reader can come any more: at once when it closes the reader itself, at CLOSED when the host does.
    func stop(reason: String) {
        let opened = reader != nil
        end(reason: reason)
        if let r = reader {
            reader = nil
            host.table.reader_close(r)
        }
        // Without a reader (its start was still queued) nothing calls back: leave now as well.
        if opened || !readerEverOpened { plugin.forget(self) }
    }

    private func end(reason: String) {
        guard !stopped else { return }
        stopped = true
        finishFile()
        host.log(MR_LOG_INFO, "recording \(target.key) stops: \(reason)")
    }

    // MARK: reader

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            self.reader = reader
            setUpMuxer(reader)
            host.log(MR_LOG_INFO, "recording \(target.key)\(muxer == nil ? ": no track MP4 can carry" : "")")
        case MR_READER_TRACKS_CHANGED:
            finishFile()
            setUpMuxer(reader)
        case MR_READER_NOT_FOUND, MR_READER_ENDED:
            // The host closes the reader next (CLOSED).
            end(reason: event == MR_READER_ENDED ? "the stream ended" : "no such stream")
        case MR_READER_CLOSED:
            self.reader = nil
            end(reason: "the reader was closed")
            plugin.forget(self)
        default:
            break
        }
    }

    private func setUpMuxer(_ reader: OpaquePointer) {
        tracks = (0..<host.table.reader_track_count(reader)).map { i in host.trackInfo(reader: reader, i).flatMap(MediaTrack.init) }
        let m = Fmp4Muxer(tracks: tracks)
        muxer = m.isEmpty ? nil : m
        hasVideo = m.muxedTracks.contains { tracks[$0]?.codec.isVideo == true }
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard !stopped else { return }
        for f in frames {
            guard let payload = f.payload, muxer != nil else { continue }
            let key = f.flags & UInt32(MR_FRAME_KEY) != 0
            let boundary = key || !hasVideo
            if let open = file, boundary, f.dts &- open.startDts >= segmentUs {
                finishFile()
            }
            if file == nil {
                guard boundary else { continue }
                startFile(dts: f.dts)
            }
            guard var m = muxer, var open = file else { continue }
            file = nil   // one owner while appending, so `pending` is not copied
            let data = Array(host.bytes(of: payload))[...]
            for p in m.mux(track: Int(f.track), pts: f.pts, dts: f.dts, key: key, data: data) { open.pending += p.bytes }
            muxer = m
            open.lastDts = max(open.lastDts, f.dts)
            if open.pending.count >= Self.flushBytes || f.dts &- open.lastFlushDts >= Self.flushUs {
                if !open.writer.write(open.pending) { file = open; return stopAfterFailure() }
                open.pending.removeAll(keepingCapacity: true)
                open.lastFlushDts = f.dts
            }
            file = open
        }
    }

    private func startFile(dts: Int64) {
        guard muxer != nil else { return }
        let epoch = Int(WallClock.microseconds() / 1_000_000)
        let path = RecordPath.expand(template, root: plugin.settings.recordRoot, vhost: target.vhost, app: target.app,
                                     stream: target.stream, epochSeconds: epoch, sequence: sequence)
        sequence += 1
        // A new file needs its own timeline origin and init segment.
        let m = Fmp4Muxer(tracks: tracks)
        muxer = m
        let writer = RecordFileWriter(host: host, path: path, loop: loop)
        let info = (target: target, path: path, startEpoch: epoch)
        // A strong capture: the recorder may have left the registry (its stream ended) before its last file is
        // on disk, and that file's record-done event is still due. The writer drops the closure once called.
        writer.onFinish = { [writer] error, size in
            self.fileFinished(writer.actualPath, startEpoch: info.startEpoch, error: error, size: size, asked: info.path)
        }
        file = OpenFile(writer: writer, startDts: dts, startEpoch: epoch, lastDts: dts, pending: m.initSegment(), lastFlushDts: dts)
        currentPath.withLock { $0 = path }
        host.log(MR_LOG_INFO, "recording \(target.key) into \(path)")
    }

    /// Writes what is held and closes the file; the record-done event follows when it is on disk.
    private func finishFile() {
        guard var open = file else { return }
        file = nil
        if var m = muxer {
            for p in m.flush() { open.pending += p.bytes }
            muxer = m
        }
        durations[open.writer.path] = Double(max(0, open.lastDts &- open.startDts)) / 1_000_000
        open.writer.write(open.pending)
        open.writer.close()
        currentPath.withLock { $0 = nil }
    }

    private var durations: [String: Double] = [:]

    private func stopAfterFailure() {
        // The writer reports the error through onFinish; the stream itself goes on.
        file = nil
        currentPath.withLock { $0 = nil }
        if !stopped { stop(reason: "the file could not be written") }
    }

    /// [loop] A file is closed or failed: tell subscribers (the record-done event, ZLMediaKit's on_record_mp4).
    private func fileFinished(_ path: String, startEpoch: Int, error: String?, size: Int64, asked: String) {
        let duration = durations.removeValue(forKey: asked) ?? 0
        if error == nil, plugin.settings.faststart {
            // The event waits for the rewrite, so its size and path describe the file as it stays.
            // Holds the recorder until the rewrite ends, even if its stream has ended meanwhile.
            return RecordFinalizer(host: host, path: path) { rewriteError, newSize in
                if let rewriteError { self.host.log(MR_LOG_WARNING, "recording \(self.target.key): \(rewriteError)") }
                self.report(path, startEpoch: startEpoch, duration: duration, size: rewriteError == nil ? newSize : size, error: nil)
            }.start(loop: loop)
        }
        report(path, startEpoch: startEpoch, duration: duration, size: size, error: error)
    }

    private func report(_ path: String, startEpoch: Int, duration: Double, size: Int64, error: String?) {
        if let error {
            host.log(MR_LOG_ERROR, "recording \(target.key) failed: \(error)")
            if !stopped { stop(reason: "write error") }
        } else {
            host.log(MR_LOG_INFO, "recorded \(path): \(size) bytes, \(Double(Int(duration * 10)) / 10) s")
        }
        plugin.recordDone(target: target, path: path, startEpoch: startEpoch, duration: duration, size: size, error: error)
    }
}
