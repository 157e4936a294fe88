import MRPluginKit
import PluginABI
import Synchronization

/// Entry point of the hls plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "hls", version: "0.1.0", description: "live HLS (MPEG-TS and fMP4 variants), served from memory through httpmux",
    configKeys: HlsServingSettings.configKeys + [
        ("segment_ms", MR_CONFIG_INT, "target segment duration; segments start on keyframes (default 2000)"),
        ("window", MR_CONFIG_INT, "segments listed in a playlist (default 5)"),
        ("keep", MR_CONFIG_INT, "segments kept beyond the window for slow players (default 3)"),
        ("idle_ms", MR_CONFIG_INT, "stop muxing a stream nobody requested for this long (default 30000)"),
        ("pull", MR_CONFIG_LIST, "HLS streams to pull: \"app/stream=http[s]://host[:port]/path.m3u8\""),
        ProxyLink.tlsVerifyConfigKey,
    ],
    serves: #"""
    {"schemas": [{"name": "hls", "readers": ["hls"]}],
     "sources": [{"protocol": "hls-pull", "schema": "hls", "origin_type": 4, "origin_type_str": "pull"}],
     "pull": [{"scheme": "http", "path_suffixes": [".m3u8"]}, {"scheme": "https", "path_suffixes": [".m3u8"]}]}
    """#,
    create: { HlsPlugin($0) })

struct HlsSettings {
    var serving = HlsServingSettings()
    var segmentMs = 2000
    var window = 5
    var keep = 3
    var idleMs = 30_000

    init() {}

    init(_ host: PluginHost) {
        serving = HlsServingSettings(host)
        segmentMs = max(500, min(30_000, host.int("segment_ms", default: 2000)))
        window = max(2, min(30, host.int("window", default: 5)))
        keep = max(0, min(30, host.int("keep", default: 3)))
        idleMs = max(5000, min(3_600_000, host.int("idle_ms", default: 30_000)))
    }
}

/// Live HLS at `http://host:port/app/stream/hls.m3u8` (MPEG-TS segments) and `…/hls.fmp4.m3u8` (fMP4), made
/// on demand: the first request of a stream starts its muxer, which stops when requests stop. Requests come
/// through a route of the HTTP server plugin; paths that are not HLS are left to it (static files).
final class HlsPlugin: PluginLifecycle, @unchecked Sendable {
    let host: PluginHost
    private let currentSettings = Mutex(HlsSettings())
    var settings: HlsSettings { currentSettings.withLock { $0 } }
    let streams = LockedValue<[String: HlsStream]>([:])
    let sessions: HlsSessions
    private let pulls: ProxyRegistry

    init(_ host: PluginHost) {
        self.host = host
        sessions = HlsSessions(host: host)
        pulls = ProxyRegistry(host: host, name: "hls", expected: "http[s]://host[:port]/path.m3u8") { request in
            HlsPullProxy(host: host, request: request)
        }
    }

    func start() -> Int32 {
        let s = HlsSettings(host)
        currentSettings.withLock { $0 = s }
        let rc = host.table.http_route_add(host.host, "GET", "/", { user, request, ex in
            guard let plugin = PluginBox.borrow(user, as: HlsPlugin.self), let request, let ex else { return Int32(MR_ERR_NOT_FOUND) }
            return plugin.handle(request.pointee, ex)
        }, PluginBox.unretained(self))
        if rc != MR_OK { host.log(MR_LOG_ERROR, "cannot add the HLS route: \(host.lastError)") }
        pulls.offerCommands(pushes: false)
        pulls.start()
        return rc
    }

    func reconfigure() -> Int32 {
        let s = HlsSettings(host)
        currentSettings.withLock { $0 = s }
        pulls.reconfigure()
        return Int32(MR_OK)
    }

    /// Each stream is shut down on its own loop by a task queued here (tasks queued in stop run before the
    /// plugin is destroyed), which also releases it.
    func stop() {
        pulls.stop()
        let all = streams.withLock { t -> [HlsStream] in
            defer { t.removeAll() }
            return Array(t.values)
        }
        for s in all {
            host.onLoop(s.loop) { s.shutDown() }
        }
        sessions.closeAll()
    }

    /// Streams muxed at once: requests for more answer 503 (each costs a reader and up to a window of segments).
    static let maxStreams = 256

    /// The stream's muxer, started by this request if none runs and `create`. A muxer that failed stays
    /// registered (answering 404) until it has shut down on its loop and left: it is never replaced under its
    /// own callbacks.
    func stream(for request: HlsRequest, loop: Int32, create: Bool) -> HlsStream? {
        enum Found { case running(HlsStream), failed, none, full }
        let found = streams.withLock { t -> Found in
            if let e = t[request.key] { return e.store.failed ? .failed : .running(e) }
            return t.count >= Self.maxStreams ? .full : .none
        }
        switch found {
        case .running(let s): return s
        case .failed: return nil
        case .full:
            if create { host.log(MR_LOG_WARNING, "HLS: \(Self.maxStreams) streams are muxed already; \(request.key) refused") }
            return nil
        case .none:
            guard create else { return nil }
        }
        let s = HlsStream(plugin: self, request: request, loop: loop)
        let existing = streams.withLock { t -> HlsStream? in
            if let e = t[request.key] { return e }
            t[request.key] = s
            return nil
        }
        if let existing { return existing.store.failed ? nil : existing }
        guard s.start() else {
            forgetFailedStart(s)
            return nil
        }
        return s
    }

    private func forgetFailedStart(_ s: HlsStream) {
        answer(s.store.fail())
        forget(s)
    }

    /// Leaves the registry; the stream itself is released on a later turn of its loop, never inside its own callback.
    func forget(_ s: HlsStream) {
        let removed = streams.withLock { t -> HlsStream? in
            guard t[s.key] === s else { return nil }
            return t.removeValue(forKey: s.key)
        }
        guard let removed else { return }
        host.release(removed, onLoop: removed.loop)
    }
}
