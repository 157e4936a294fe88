import Dispatch
import EssentialsExtras
import MRPluginKit
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// A counting subscriber for integration tests. For each configured stream it reads the bus and checks
/// that the test source's sequence numbers arrive without gaps, starting on a keyframe. Anyone connecting
/// to its TCP `port` gets the counters as one JSON line.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "testsink", version: "1.0.0", description: "counts frames for tests",
    configKeys: [("streams", MR_CONFIG_LIST, "app/stream names to read"),
                 ("bind", MR_CONFIG_STRING, "address of the stats port"),
                 ("format", MR_CONFIG_STRING, "read this derived ring instead of frames (uses a pass-through muxer)"),
                 ("pause_every", MR_CONFIG_INT, "pause reading for pause_ms every N frames (slow reader)"),
                 ("pause_ms", MR_CONFIG_INT, "how long each pause lasts"),
                 ("log_events", MR_CONFIG_BOOL, "log every bus event (type, stream, detail)"),
                 ("deny_play", MR_CONFIG_LIST, "become the auth handler: refuse plays of these app/stream names, allow the rest"),
                 ("slow_auth", MR_CONFIG_LIST, "become the auth handler: answer for these app/stream names only after slow_auth_ms"),
                 ("slow_auth_ms", MR_CONFIG_INT, "how late slow_auth answers (default 3000)"),
                 ("slow_auth_allows", MR_CONFIG_BOOL, "what slow_auth answers in the end (default true)")],
    initialize: { host, api, state in
        guard let host, let api else { return Int32(MR_ERR_INVALID) }
        state?.pointee = PluginBox.retain(TestSink(PluginHost(host: host, api: api)))
        return Int32(MR_OK)
    },
    start: { s in PluginBox.borrow(s, as: TestSink.self)?.start() ?? Int32(MR_ERR_INVALID) },
    reconfigure: { _ in Int32(MR_RESTART) },
    stop: { s in PluginBox.borrow(s, as: TestSink.self)?.stop() },
    destroy: { s in PluginBox.release(s, as: TestSink.self) })

final class TestSink: @unchecked Sendable {
    let host: PluginHost
    var watchers: [StreamWatcher] = []
    var listener: OpaquePointer?
    var denied: Set<String> = []
    var slow: Set<String> = []
    var slowMs = 3000
    var slowAllows = true

    init(_ host: PluginHost) {
        self.host = host
        PassThroughMuxer.api = host.api
    }

    func start() -> Int32 {
        let format = host.string("format", default: "")
        let pauseEvery = host.int("pause_every", default: 0)
        let pauseMs = host.int("pause_ms", default: 0)
        for (i, name) in host.list("streams").enumerated() {
            let w = StreamWatcher(host: host, name: name, loop: i % host.loopCount, format: format.isEmpty ? nil : format,
                                  pauseEvery: pauseEvery, pauseMs: pauseMs)
            watchers.append(w)
            w.open()
        }
        if host.bool("log_events", default: false) {
            // Tests read bus events (record-done and the like) from the log.
            host.subscribe((0...7).map { mr_event_type(rawValue: $0) }) { [host] e in
                host.log(MR_LOG_INFO, "event \(e.type.rawValue) \(e.app)/\(e.stream) \(e.detail)")
            }
        }
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        options.port = UInt16(clamping: host.int("port", default: 0))
        let bind = host.string("bind", default: "127.0.0.1")
        var cbs = mr_conn_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_conn_callbacks>.size)
        cbs.on_open = { user, conn in
            guard let sink = PluginBox.borrow(user, as: TestSink.self) else { return }
            let line = sink.statsJSON() + "\n"
            _ = line.withCString { sink.host.table.conn_send_bytes(conn, $0, strlen($0)) }
            sink.host.table.conn_close(conn, 0)
        }
        cbs.on_data = { _, _, _, _ in }
        cbs.on_close = { _, _, _, _ in }
        let rc = bind.withCString { b -> Int32 in
            options.bind_address = b
            return host.table.tcp_listen(host.host, &options, &cbs, PluginBox.unretained(self), &listener)
        }
        if rc != MR_OK { host.log(MR_LOG_ERROR, "cannot listen: \(host.lastError)") }
        registerRoutes()
        registerAuth()
        return rc
    }

    /// With `deny_play`, an auth handler that refuses plays of those streams (any protocol) and allows the rest;
    /// with `slow_auth`, one that answers for those streams only after `slow_auth_ms` (the core's
    /// auth_timeout_ms and auth_default are tested against it).
    private func registerAuth() {
        denied = Set(host.list("deny_play"))
        slow = Set(host.list("slow_auth"))
        slowMs = max(0, host.int("slow_auth_ms", default: 3000))
        slowAllows = host.bool("slow_auth_allows", default: true)
        guard !denied.isEmpty || !slow.isEmpty else { return }
        _ = host.table.auth_set_handler(host.host, { user, request, ticket in
            guard let sink = PluginBox.borrow(user, as: TestSink.self), let request, let ticket else { return }
            let r = request.pointee
            let name = (r.key.app.map { String(cString: $0) } ?? "") + "/" + (r.key.stream.map { String(cString: $0) } ?? "")
            if sink.slow.contains(name) {
                let (answer, allows, raw) = (sink.host.table.auth_answer, sink.slowAllows, UInt(bitPattern: ticket))
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(sink.slowMs)) {
                    guard let late = OpaquePointer(bitPattern: raw) else { return }
                    answer?(late, allows ? 1 : 0, "testsink answered late")
                }
                return
            }
            let deny = r.action == Int32(bitPattern: MR_AUTH_PLAY.rawValue) && sink.denied.contains(name)
            sink.host.table.auth_answer(ticket, deny ? 0 : 1, deny ? "denied by testsink" : "ok")
        }, PluginBox.unretained(self))
    }

    /// Routes served by whichever plugin serves HTTP: `/testsink/stats` answers at once with the counters,
    /// `/testsink/count` streams three chunks with begin/write/end.
    private func registerRoutes() {
        let me = PluginBox.unretained(self)
        _ = host.table.http_route_add(host.host, "GET", "/testsink/stats", { user, _, ex in
            guard let sink = PluginBox.borrow(user, as: TestSink.self), let ex else { return Int32(MR_ERR_NOT_FOUND) }
            let body = sink.statsJSON()
            guard let buf = sink.host.buffer(Array(body.utf8)) else { return Int32(MR_ERR_NOMEM) }
            defer { sink.host.table.buf_release(buf) }
            let header = ("Content-Type", "application/json")
            return header.0.withCString { n in header.1.withCString { v in
                var h = mr_http_header(name: n, value: v)
                return sink.host.table.http_respond(ex, 200, &h, 1, buf)
            } }
        }, me)
        _ = host.table.http_route_add(host.host, nil, "/testsink/count", { user, request, ex in
            guard let sink = PluginBox.borrow(user, as: TestSink.self), let ex, let request else { return Int32(MR_ERR_NOT_FOUND) }
            let method = request.pointee.method.map { String(cString: $0) } ?? ""
            _ = sink.host.table.http_begin(ex, 200, nil, 0)
            for word in ["one ", "two ", "three \(method)"] {
                guard let b = sink.host.buffer(Array(word.utf8)) else { continue }
                var buf: OpaquePointer? = b
                _ = sink.host.table.http_write(ex, &buf, 1)
                sink.host.table.buf_release(buf)
            }
            return sink.host.table.http_end(ex)
        }, me)
    }

    func statsJSON() -> String {
        var all: [String: Any] = [:]
        for w in watchers { all[w.name] = w.snapshot() }
        return JSONText.text(["streams": all]) ?? ""
    }

    func stop() {
        if let listener { host.table.listener_close(listener) }
        listener = nil
        for w in watchers { w.close() }
    }
}

/// One stream's reader and counters. Counters are written on the reader's loop and read by the stats
/// connection on another, hence the lock.
final class StreamWatcher: @unchecked Sendable {
    let host: PluginHost
    let name: String
    let loop: Int
    let format: String?
    let pauseEvery: Int
    let pauseMs: Int
    var reader: OpaquePointer?
    /// Guards the counters below (they live outside it: the frame loop updates several at once).
    private let lock = LockedValue(())
    private var frames = 0
    private var gaps = 0
    private var skips = 0
    private var starts = 0
    private var notFound = 0
    private var ended = 0
    private var headers = 0
    private var firstWasKey = true
    private var awaitingFirst = true
    private var lastSeq: Int64 = -1
    private var lastDts: Int64 = Int64.min
    private var backwards = 0

    init(host: PluginHost, name: String, loop: Int, format: String?, pauseEvery: Int, pauseMs: Int) {
        self.host = host
        self.name = name
        self.loop = loop
        self.format = format
        self.pauseEvery = pauseEvery
        self.pauseMs = pauseMs
    }

    func open() {
        let parts = name.split(separator: "/").map(String.init)
        guard parts.count == 2 else { host.log(MR_LOG_ERROR, "bad stream name \(name)"); return }
        var options = mr_reader_options()
        options.size = UInt32(MemoryLayout<mr_reader_options>.size)
        options.loop = Int32(loop)
        options.wait_ms = 1000
        var cbs = mr_reader_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_reader_callbacks>.size)
        cbs.on_frames = { user, _, frames, count in
            guard let w = PluginBox.borrow(user, as: StreamWatcher.self), let frames else { return }
            w.received(UnsafeBufferPointer(start: frames, count: count))
        }
        cbs.on_event = { user, _, event, detail in
            PluginBox.borrow(user, as: StreamWatcher.self)?.event(event, detail)
        }
        let rc: Int32 = parts[0].withCString { a in parts[1].withCString { s in "testsink".withCString { proto in
            options.protocol = proto
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            if let format {
                return format.withCString { f in
                    host.table.reader_open_derived(host.host, &key, f, &PassThroughMuxer.callbacks, nil, &options, &cbs,
                                                   PluginBox.unretained(self), &reader)
                }
            }
            return host.table.reader_open(host.host, &key, &options, &cbs, PluginBox.unretained(self), &reader)
        } } }
        if rc != MR_OK { host.log(MR_LOG_ERROR, "reader_open \(name) failed: \(host.lastError)") }
    }

    func received(_ frames: UnsafeBufferPointer<mr_frame>) {
        let total = lock.withLock { _ -> Int in
            for f in frames {
                if f.flags & UInt32(MR_FRAME_HEADER) != 0 { headers += 1; continue }
                guard let payload = f.payload, host.table.buf_len(payload) >= 8, let p = host.table.buf_data(payload) else { continue }
                var seq: UInt64 = 0
                withUnsafeMutableBytes(of: &seq) { $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: 8)) }
                let n = Int64(UInt64(bigEndian: seq))
                if awaitingFirst {
                    awaitingFirst = false
                    if f.flags & UInt32(MR_FRAME_KEY) == 0 { firstWasKey = false }
                } else if n != lastSeq + 1 {
                    if f.flags & UInt32(MR_FRAME_DISCONTINUITY) != 0 { skips += 1 } else { gaps += 1 }
                }
                if f.dts < lastDts { backwards += 1 }
                lastDts = f.dts
                lastSeq = n
                self.frames += 1
            }
            return self.frames
        }
        if pauseEvery > 0, total % pauseEvery < frames.count, let reader {
            host.table.reader_set_paused(reader, 1)
            _ = host.table.timer_start(host.host, Int32(loop), Int64(pauseMs), 0, { user, _ in
                guard let w = PluginBox.borrow(user, as: StreamWatcher.self), let r = w.reader else { return }
                w.host.table.reader_set_paused(r, 0)
            }, PluginBox.unretained(self))
        }
    }

    func event(_ event: Int32, _ detail: Int64) {
        lock.withLock { _ in
            switch UInt32(bitPattern: event) {
            case MR_READER_STARTED.rawValue: starts += 1; awaitingFirst = true
            case MR_READER_NOT_FOUND.rawValue: notFound += 1
            case MR_READER_ENDED.rawValue: ended += 1
            case MR_READER_SKIPPED.rawValue: break
            default: break
            }
        }
        if UInt32(bitPattern: event) == MR_READER_CLOSED.rawValue {
            // Keep waiting for the stream: a player that retries.
            reader = nil
            _ = host.table.timer_start(host.host, Int32(loop), 100, 0, { user, _ in
                PluginBox.borrow(user, as: StreamWatcher.self)?.open()
            }, PluginBox.unretained(self))
        }
    }

    func snapshot() -> [String: Any] {
        lock.withLock { _ in
            ["frames": frames, "gaps": gaps, "skips": skips, "starts": starts, "not_found": notFound, "ended": ended,
             "first_key": firstWasKey, "last_seq": lastSeq, "backwards": backwards, "headers": headers]
        }
    }

    func close() {
        _ = host.table.run_on_loop(host.host, Int32(loop), { user in
            guard let w = PluginBox.borrow(user, as: StreamWatcher.self), let r = w.reader else { return }
            w.host.table.reader_close(r)
            w.reader = nil
        }, PluginBox.unretained(self))
    }
}

/// A muxer that re-emits each source frame as a packet, so tests can exercise derived rings.
enum PassThroughMuxer {
    nonisolated(unsafe) static var callbacks: mr_muxer_callbacks = {
        var m = mr_muxer_callbacks()
        m.size = UInt32(MemoryLayout<mr_muxer_callbacks>.size)
        m.create = { _, ring in UnsafeMutableRawPointer(ring) }
        m.on_frames = { state, ring, frames, count in
            // The host table is reachable through the ring's owner only via a stored pointer.
            guard let frames, let api = PassThroughMuxer.api else { return }
            _ = api.pointee.ring_write(ring, frames, count)
        }
        m.destroy = { _ in }
        return m
    }()
    nonisolated(unsafe) static var api: UnsafePointer<mr_host_api>?
}
