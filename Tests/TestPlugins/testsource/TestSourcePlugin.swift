import MRPluginKit
import PluginABI

/// A synthetic publisher for integration tests: each configured stream gets one video track whose frames
/// carry an 8-byte big-endian sequence number, a keyframe every `gop` frames, at `fps`. It also pulls
/// `test://` URLs (addStreamProxy) into the same synthetic streams: a protocol the management core has never
/// heard of, reached only through this plugin's ABI 1.3 declaration.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "testsource", version: "1.0.0", description: "synthetic frames for tests",
    configKeys: [("streams", MR_CONFIG_LIST, "app/stream names to publish"),
                 ("fps", MR_CONFIG_INT, "frames per second"),
                 ("gop", MR_CONFIG_INT, "frames per keyframe interval"),
                 ("payload_bytes", MR_CONFIG_INT, "bytes per frame")],
    serves: #"""
    {"schemas": [{"name": "test", "readers": ["test-play"]}],
     "sources": [{"protocol": "test-pull", "schema": "test", "origin_type": 4, "origin_type_str": "pull"}],
     "pull": [{"scheme": "test"}]}
    """#,
    create: { TestSource($0) })

final class TestSource: PluginLifecycle, @unchecked Sendable {
    let host: PluginHost
    var streams: [String] = []
    var publishers: [SyntheticStream] = []
    private lazy var proxies = ProxyRegistry(host: host, name: "testsource", expected: "test://anything") { [host] request in
        TestPull(host: host, request: request)
    }

    init(_ host: PluginHost) { self.host = host }

    func start() -> Int32 {
        streams = host.list("streams")
        let fps = max(1, host.int("fps", default: 25))
        let gop = max(1, host.int("gop", default: 25))
        let size = max(8, host.int("payload_bytes", default: 1000))
        for (i, name) in streams.enumerated() {
            let parts = name.split(separator: "/").map(String.init)
            guard parts.count == 2 else {
                host.log(MR_LOG_ERROR, "stream name '\(name)' is not app/stream")
                return Int32(MR_ERR_INVALID)
            }
            let stream = SyntheticStream(host: host, app: parts[0], stream: parts[1], loop: i % host.loopCount,
                                         fps: fps, gop: gop, size: size)
            guard stream.open() else { return Int32(MR_ERR) }
            publishers.append(stream)
        }
        host.log(MR_LOG_INFO, "publishing \(streams.joined(separator: ", ")) at \(fps) fps")
        proxies.offerCommands(pushes: false)
        proxies.start()
        offerHookPost()
        return Int32(MR_OK)
    }

    /// `/index/api/testPostHook?hook=...&stream_id=...`: sends the named web hook through the core's
    /// `hook.post` command, as the GB28181 plugin sends on_rtp_server_timeout, and answers what it replied.
    private func offerHookPost() {
        let host = self.host
        ApiEndpoint.register(host, name: "testPostHook") { request, reply in
            let body: [String: Any] = ["stream_id": request.string("stream_id") ?? "", "local_port": 10000, "vhost": "__defaultVhost__",
                                       "app": "rtp", "mediaServerId": "forged-by-plugin"]
            let offered = host.callCommand("hook.post", ["hook": request.string("hook") ?? "", "body": body], loop: -1) { status, answer in
                var fields = answer
                fields["status"] = Int(status)
                reply(status == MR_OK ? .success : .invalidArgs, fields)
            }
            if !offered { reply(.other, ["msg": "no hook.post command"]) }
        }
    }

    func reconfigure() -> Int32 {
        // A new stream list needs new sources; a new frame rate applies in place.
        guard host.list("streams") == streams else { return Int32(MR_RESTART) }
        let fps = max(1, host.int("fps", default: 25))
        for p in publishers { p.setRate(fps) }
        host.log(MR_LOG_INFO, "frame rate now \(fps)")
        return Int32(MR_OK)
    }

    func stop() {
        proxies.stop()
        for p in publishers { p.close() }
        publishers.removeAll()
    }
}

final class SyntheticStream: @unchecked Sendable {
    let host: PluginHost
    let app: String
    let stream: String
    let loop: Int
    let gop: Int
    let size: Int
    var source: OpaquePointer?
    var timer: OpaquePointer?
    var seq: UInt64 = 0
    /// Timestamps advance by one frame duration per tick, so a rate change never moves them backwards.
    var timestampUs: Int64 = 0
    /// The rate the loop uses; written only on the stream's loop.
    var loopFps: Int

    let protocolName: String

    /// Shown as the source's peer (a pull's URL).
    let peer: String?

    init(host: PluginHost, app: String, stream: String, loop: Int, fps: Int, gop: Int, size: Int, protocolName: String = "testsource",
         peer: String? = nil) {
        self.peer = peer
        self.host = host
        self.protocolName = protocolName
        self.app = app
        self.stream = stream
        self.loop = loop
        self.loopFps = fps
        self.gop = gop
        self.size = size
    }

    func open() -> Bool {
        let api = host.table
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.loop = Int32(loop)
        let rc: Int32 = app.withCString { a in stream.withCString { s in protocolName.withCString { proto in (peer ?? "").withCString { peerText in
            options.protocol = proto
            options.peer = peer == nil ? nil : peerText
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return api.source_open(host.host, &key, &options, &source)
        } } } }
        guard rc == MR_OK, let source else {
            host.log(MR_LOG_ERROR, "source_open \(app)/\(stream) failed: \(host.lastError)")
            return false
        }
        var track = mr_track_info()
        track.size = UInt32(MemoryLayout<mr_track_info>.size)
        track.codec = Int32(bitPattern: MR_CODEC_H264.rawValue)
        track.kind = Int32(bitPattern: MR_TRACK_VIDEO.rawValue)
        track.clock_rate = 90000
        track.width = 320
        track.height = 240
        _ = api.source_add_track(source, &track)
        _ = api.source_ready(source)
        schedule()
        return true
    }

    private func schedule() {
        let interval = Int64(max(1, 1000 / loopFps))
        timer = host.table.timer_start(host.host, Int32(loop), interval, interval, { user, _ in
            PluginBox.borrow(user, as: SyntheticStream.self)?.tick()
        }, PluginBox.unretained(self))
    }

    /// Runs on the stream's loop; `timer_cancel` must be called there too.
    func setRate(_ newFps: Int) {
        final class Change { let stream: SyntheticStream; let fps: Int; init(_ s: SyntheticStream, _ f: Int) { stream = s; fps = f } }
        _ = host.table.run_on_loop(host.host, Int32(loop), { user in
            guard let c = PluginBox.borrow(user, as: Change.self) else { return }
            defer { PluginBox.release(user, as: Change.self) }
            let s = c.stream
            s.loopFps = c.fps
            if let t = s.timer { s.host.table.timer_cancel(t) }
            s.schedule()
        }, PluginBox.retain(Change(self, newFps)))
    }

    func tick() {
        guard let source, let buf = host.table.buf_alloc(size), let p = host.table.buf_mutable(buf) else { return }
        var be = seq.bigEndian
        withUnsafeBytes(of: &be) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: 8) }
        let us = timestampUs
        timestampUs += 1_000_000 / Int64(loopFps)
        var frame = mr_frame(track: 0, flags: seq % UInt64(gop) == 0 ? UInt32(MR_FRAME_KEY) : 0, pts: us, dts: us, payload: buf)
        _ = host.table.source_write(source, &frame, 1)
        host.table.buf_release(buf)
        seq += 1
    }

    /// Called from `stop` on the control thread: the timer and the source belong to the stream's loop, so
    /// the work hops there (the host runs such tasks before `destroy`).
    func close() {
        // The task owns a reference: `stop` drops the plugin's list before the task runs.
        _ = host.table.run_on_loop(host.host, Int32(loop), { user in
            guard let s = PluginBox.borrow(user, as: SyntheticStream.self) else { return }
            defer { PluginBox.release(user, as: SyntheticStream.self) }
            if let t = s.timer { s.host.table.timer_cancel(t) }
            if let src = s.source { s.host.table.source_close(src) }
            s.timer = nil
            s.source = nil
        }, PluginBox.retain(self))
    }
}

/// A `test://` pull: a synthetic stream published under the proxy's key while the proxy lives.
final class TestPull: ManagedProxy, @unchecked Sendable {
    let request: ProxyRequest
    private let stream: SyntheticStream

    init(host: PluginHost, request: ProxyRequest) {
        self.request = request
        stream = SyntheticStream(host: host, app: request.app, stream: request.stream, loop: 0, fps: 25, gop: 25, size: 1000,
                                 protocolName: "test-pull", peer: request.url)
    }

    func start() {
        request.update { $0.state = stream.open() ? .online : .failed }
    }

    func stop() { stream.close() }
}
