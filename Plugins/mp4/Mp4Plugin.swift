#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import MRPluginKit
import PluginABI
import Synchronization

/// Entry point of the mp4 plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "mp4", version: "0.1.0", description: "MP4 recording (crash-safe fragmented files) of any bus stream, and MP4 files played as streams (VOD)",
    configKeys: Mp4Settings.keys,
    serves: #"""
    {"sources": [{"protocol": "mp4-vod", "origin_type": 6, "origin_type_str": "mp4_vod"}],
     "records": ["mp4"],
     "config_aliases": [{"name": "protocol.mp4_save_path", "key": "record_root"}]}
    """#,
    create: { Mp4Plugin($0) })

/// Records streams to MP4: always (the `record` patterns, started by the publish event) or on demand, through
/// the commands `mp4.record.start|stop|status` and ZLMediaKit's endpoints `startRecord`, `stopRecord`,
/// `isRecording` and `getMP4RecordFile`. Each finished file raises the record-done event.
final class Mp4Plugin: PluginLifecycle, @unchecked Sendable {
    let host: PluginHost
    private let currentSettings = Mutex(Mp4Settings())
    var settings: Mp4Settings { currentSettings.withLock { $0 } }
    private let recorders = LockedValue<[String: Mp4Recorder]>([:])
    private let vods = LockedValue<[String: Mp4VodSource]>([:])
    private var subscription: Int64 = -1

    init(_ host: PluginHost) { self.host = host }

    func start() -> Int32 {
        let s = Mp4Settings(host)
        currentSettings.withLock { $0 = s }
        subscription = host.subscribe([MR_EVENT_PUBLISH, MR_EVENT_NOT_FOUND]) { [weak self] e in
            if e.type == MR_EVENT_PUBLISH { self?.published(e) } else { self?.notFound(e) }
        }
        registerCommands()
        registerVodCommands()
        Mp4RecordApi.register(self)
        Mp4RecordApi.registerVod(self)
        return Int32(MR_OK)
    }

    func reconfigure() -> Int32 {
        let s = Mp4Settings(host)
        currentSettings.withLock { $0 = s }
        return Int32(MR_OK)
    }

    func stop() {
        if subscription >= 0 { host.table.event_unsubscribe(host.host, subscription) }
        let all = recorders.withLock { Array($0.values) }
        for r in all { host.onLoop(r.loop) { r.stop(reason: "the plugin stops") } }
        for v in vods.withLock({ Array($0.values) }) { host.onLoop(v.loop) { v.close() } }
    }

    private func published(_ e: BusEventInfo) {
        guard settings.alwaysRecords(app: e.app, stream: e.stream) else { return }
        _ = startRecording(.init(vhost: e.vhost, app: e.app, stream: e.stream), template: nil, segmentSeconds: nil)
    }

    // MARK: recordings

    enum StartResult { case started, already, full, failed }

    /// [any thread]
    func startRecording(_ target: Mp4Recorder.Target, template: String?, segmentSeconds: Int?) -> StartResult {
        let s = settings
        let loop = Int32(abs(target.key.hashValue) % max(1, host.loopCount))
        let recorder = Mp4Recorder(plugin: self, target: target, loop: loop, template: template ?? s.template,
                                   segmentSeconds: segmentSeconds ?? s.segmentSeconds)
        let result = recorders.withLock { t -> StartResult in
            if t[target.key] != nil { return .already }
            if t.count >= s.maxRecordings { return .full }
            t[target.key] = recorder
            return .started
        }
        guard result == .started else {
            if result == .full { host.log(MR_LOG_WARNING, "recording \(target.key) refused: \(s.maxRecordings) recordings run") }
            return result
        }
        // The reader is opened on the recorder's loop, where a stop asked meanwhile is seen in order.
        host.onLoop(loop) {
            guard !recorder.stopped else { return }
            if !recorder.start() { self.forget(recorder) }
        }
        return .started
    }

    /// [any thread] False if the stream is not being recorded.
    func stopRecording(_ key: String) -> Bool {
        guard let r = recorders.withLock({ $0[key] }) else { return false }
        // A recorder whose reader is not open yet (queued start) is stopped by the same ordered loop.
        host.onLoop(r.loop) { r.stop(reason: "stop was asked") }
        return true
    }

    func recorder(_ key: String) -> Mp4Recorder? { recorders.withLock { $0[key] } }

    /// Leaves the registry; the recorder itself is released on a later turn of its loop, never inside its own
    /// callback (its reader's callbacks point at it until then).
    func forget(_ r: Mp4Recorder) {
        recorders.withLock { t in if t[r.target.key] === r { t.removeValue(forKey: r.target.key) } }
        host.release(r, onLoop: r.loop)
    }

    // MARK: VOD

    /// A player asked for a stream that is not on the bus: under the VOD app, an MP4 file may stand for it.
    private func notFound(_ e: BusEventInfo) {
        let s = settings
        // Protocols split a path into app and stream differently (RTSP and RTMP take the last part as the
        // stream): `vod/live/cam.mp4` is the file live/cam.mp4 whichever way it was split.
        let full = "\(e.app)/\(e.stream)"
        guard full.hasPrefix(s.vodApp + "/") else { return }
        guard let path = s.vodPath(stream: String(full.dropFirst(s.vodApp.count + 1))) else {
            return host.log(MR_LOG_WARNING, "VOD \(e.app)/\(e.stream): not a file name under vod_root")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return host.log(MR_LOG_INFO, "VOD \(e.app)/\(e.stream): no file \(path)")
        }
        guard s.vodFileStaysInside(path) else {
            return host.log(MR_LOG_WARNING, "VOD \(e.app)/\(e.stream): \(path) leads outside vod_root")
        }
        let target = Mp4Recorder.Target(vhost: e.vhost == "__defaultVhost__" ? "" : e.vhost, app: e.app, stream: e.stream)
        let loop = Int32(abs(target.key.hashValue) % max(1, host.loopCount))
        let vod = Mp4VodSource(plugin: self, target: target, path: path, loop: loop, loopPlayback: s.vodLoop)
        let added = vods.withLock { t -> Bool in
            guard t[target.key] == nil, t.count < 1024 else { return false }
            t[target.key] = vod
            return true
        }
        if added { vod.open() }
    }

    func forgetVod(_ v: Mp4VodSource) {
        vods.withLock { t in if t[v.target.key] === v { t.removeValue(forKey: v.target.key) } }
    }

    /// [any thread] Seeks a VOD stream; `done(position ms)` (nil if no such VOD stream) runs on the stream's loop.
    func seekVod(_ key: String, ms: Int64, _ done: @escaping (Int64?) -> Void) {
        guard let v = vods.withLock({ $0[key] }) else { return done(nil) }
        host.onLoop(v.loop) { done(v.seek(toMs: ms)) }
    }

    /// The record-done event, with ZLMediaKit's on_record_mp4 fields as JSON in its detail.
    func recordDone(target: Mp4Recorder.Target, path: String, startEpoch: Int, duration: Double, size: Int64, error: String?) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let name = PathText.lastComponent(absolute)
        let folder = PathText.deletingLastComponent(absolute) + "/"
        var fields: [String: Any] = [
            "vhost": target.vhost.isEmpty ? "__defaultVhost__" : target.vhost, "app": target.app, "stream": target.stream,
            "file_path": absolute, "file_name": name, "folder": folder, "start_time": startEpoch,
            "time_len": duration, "file_size": size,
            "url": "\(target.app)/\(target.stream)/\(name)",
        ]
        if let error { fields["error"] = error }
        host.emit(MR_EVENT_RECORD_DONE, vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "mp4",
                  detail: CommandJSON.text(fields))
    }

    // MARK: commands

    private func registerCommands() {
        host.offerCommand("mp4.record.start") { [weak self] args, reply in
            guard let self else { return reply.fail("stopped") }
            guard let target = Self.target(args) else { return reply.fail("app and stream are required", status: Int32(MR_ERR_INVALID)) }
            let segment = JSONNumber.int(args["segment_s"])
            switch self.startRecording(target, template: args["path"] as? String, segmentSeconds: segment.map { max(2, $0) }) {
            case .started: reply.answer(["recording": true])
            case .already: reply.answer(["recording": true, "already": true])
            case .full: reply.fail("too many recordings", status: Int32(MR_ERR_BUSY))
            case .failed: reply.fail("cannot read the stream")
            }
        }
        host.offerCommand("mp4.record.stop") { [weak self] args, reply in
            guard let self, let target = Self.target(args) else { return reply.fail("app and stream are required", status: Int32(MR_ERR_INVALID)) }
            reply.answer(["stopped": self.stopRecording(target.key)])
        }
        host.offerCommand("mp4.record.status") { [weak self] args, reply in
            guard let self, let target = Self.target(args) else { return reply.fail("app and stream are required", status: Int32(MR_ERR_INVALID)) }
            let r = self.recorder(target.key)
            var out: [String: Any] = ["recording": r != nil]
            if let path = r?.currentPath.withLock({ $0 }) { out["path"] = path }
            reply.answer(out)
        }
    }

    private func registerVodCommands() {
        host.offerCommand("mp4.vod.info") { [weak self] args, reply in
            guard let self, let target = Self.target(args),
                  let v = self.vods.withLock({ $0[target.key] }), let ms = v.duration.withLock({ $0 }) else {
                return reply.fail("not a VOD stream", status: Int32(MR_ERR_NOT_FOUND))
            }
            reply.answer(["duration_ms": ms, "path": v.path])
        }
        // Offered for any protocol that can seek (RTSP's PLAY with Range): position in ms from the file's start.
        host.offerCommand("mp4.vod.seek") { [weak self] args, reply in
            guard let self, let target = Self.target(args) else { return reply.fail("app and stream are required", status: Int32(MR_ERR_INVALID)) }
            let ms = JSONNumber.int64(args["position_ms"]) ?? 0
            self.seekVod(target.key, ms: ms) { landed in
                guard let landed else { return reply.fail("not a VOD stream", status: Int32(MR_ERR_NOT_FOUND)) }
                reply.answer(["position_ms": landed])
            }
        }
    }

    static func target(_ args: [String: Any]) -> Mp4Recorder.Target? {
        guard let app = args["app"] as? String, let stream = args["stream"] as? String, !app.isEmpty, !stream.isEmpty else { return nil }
        let vhost = (args["vhost"] as? String) ?? ""
        return .init(vhost: vhost == "__defaultVhost__" ? "" : vhost, app: app, stream: stream)
    }
}
