import Foundation
import Logging
import PluginABI
@testable import RouterCore

/// A core with one fake plugin context, driven through the real C host table as a plugin would.
final class TestHost: @unchecked Sendable {
    let core: CoreServices
    let ctx: HostContext
    var api: mr_host_api { HostAPITable.table.pointee }
    var host: OpaquePointer { ctx.handle }
    /// Readers' user objects must outlive the host's last callback (CLOSED at teardown), as a plugin's do.
    var keepAlive: [AnyObject] = []

    init(threads: Int = 2, bus: BusSettings = BusSettings()) {
        var settings = ServerSettings()
        settings.threads = threads
        settings.bus = bus
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        core = CoreServices(pollers: Pollers(threads: threads), settings: settings, logger: logger)
        var raw = mr_plugin_descriptor()
        raw.size = UInt32(MemoryLayout<mr_plugin_descriptor>.size)
        raw.abi_major = UInt16(MR_ABI_MAJOR)
        raw.abi_minor = UInt16(MR_ABI_MINOR)
        ctx = HostContext(name: "test", descriptor: PluginDescriptor(raw), path: "-", config: [:], core: core)
    }

    func shutdown() {
        ctx.releaseAll()
        core.shutdown()
        core.pollers.shutdown()
    }

    /// A plain TCP listener on 127.0.0.1 (a port of the kernel's choice) whose callbacks get `user`: its port.
    func listen(_ callbacks: mr_conn_callbacks, user: AnyObject) throws -> UInt16 {
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        var cbs = callbacks
        var listener: OpaquePointer?
        let rc = "127.0.0.1".withCString { bind in
            options.bind_address = bind
            return api.tcp_listen(host, &options, &cbs, Unmanaged.passUnretained(user).toOpaque(), &listener)
        }
        guard rc == MR_OK, let listener else {
            throw NSError(domain: "tcp_listen", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: api.last_error().map { String(cString: $0) } ?? ""])
        }
        return api.listener_port(listener)
    }

    /// `tcp_connect` to 127.0.0.1:`port` with callbacks that get `user`: the call's status.
    func dial(port: UInt16, _ callbacks: mr_conn_callbacks, user: AnyObject) -> Int32 {
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = port
        var cbs = callbacks
        return "127.0.0.1".withCString { h in
            options.host = h
            return api.tcp_connect(host, &options, &cbs, Unmanaged.passUnretained(user).toOpaque())
        }
    }

    func buffer(_ bytes: [UInt8]) -> OpaquePointer {
        bytes.withUnsafeBytes { api.buf_copy($0.baseAddress, $0.count)! }
    }

    /// Opens a source with one track (video unless `audio`) and makes it ready, on `loop`.
    func publish(_ app: String, _ stream: String, loop: Int32 = 0, audio: Bool = false) -> OpaquePointer? {
        var source: OpaquePointer?
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.loop = loop
        let rc = app.withCString { a in stream.withCString { s in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return api.source_open(host, &key, &options, &source)
        } }
        guard rc == MR_OK, let source else { return nil }
        var track = mr_track_info()
        track.size = UInt32(MemoryLayout<mr_track_info>.size)
        track.codec = Int32(bitPattern: audio ? MR_CODEC_AAC.rawValue : MR_CODEC_H264.rawValue)
        track.kind = Int32(bitPattern: audio ? MR_TRACK_AUDIO.rawValue : MR_TRACK_VIDEO.rawValue)
        track.clock_rate = audio ? 48000 : 90000
        _ = api.source_add_track(source, &track)
        _ = api.source_ready(source)
        return source
    }

    /// Writes frame `seq` (payload = 8-byte big-endian seq) from the source's loop.
    func write(_ source: OpaquePointer, seq: UInt64, key: Bool, loop: Int) {
        let b = buffer(withUnsafeBytes(of: seq.bigEndian) { Array($0) })
        let s = UnsafeSendableBox((source, b, self))
        core.pollers.loop(loop).execute {
            let (source, b, host) = s.value
            var f = mr_frame(track: 0, flags: key ? UInt32(MR_FRAME_KEY) : 0, pts: Int64(seq) * 40_000, dts: Int64(seq) * 40_000, payload: b)
            _ = host.api.source_write(source, &f, 1)
            host.api.buf_release(b)
        }
    }

    func closeSource(_ source: OpaquePointer, loop: Int) {
        let s = UnsafeSendableBox((source, self))
        try? core.pollers.loop(loop).submit { s.value.1.api.source_close(s.value.0) }.wait()
    }

    func sync() { for _ in 0..<3 { for l in core.pollers.loops { _ = try? l.submit {}.wait() } } }
}

struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Records what a reader receives: sequence numbers (from the payload), flags and events.
final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var seqs: [UInt64] = []
    private(set) var flags: [UInt32] = []
    private(set) var events: [Int32] = []
    private(set) var dts: [Int64] = []
    /// Frames per on_frames call, in order.
    private(set) var callSizes: [Int] = []
    private(set) var wrongThread = 0
    /// True when the callback runs where it should (the reader's loop).
    var onRightThread: () -> Bool = { true }
    var reader: OpaquePointer?
    var onFrame: ((Collector) -> Void)?

    var snapshot: (seqs: [UInt64], flags: [UInt32], events: [Int32], dts: [Int64]) {
        lock.lock(); defer { lock.unlock() }
        return (seqs, flags, events, dts)
    }

    func open(_ t: TestHost, _ app: String, _ stream: String, loop: Int32, waitMs: Int32 = -1, maxLag: Int32 = 0,
              format: String? = nil, muxer: UnsafeMutablePointer<mr_muxer_callbacks>? = nil) -> Int32 {
        var options = mr_reader_options()
        options.size = UInt32(MemoryLayout<mr_reader_options>.size)
        options.loop = loop
        options.wait_ms = waitMs
        options.max_lag = maxLag
        var cbs = mr_reader_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_reader_callbacks>.size)
        cbs.on_frames = { user, _, frames, count in
            let c = Unmanaged<Collector>.fromOpaque(user!).takeUnretainedValue()
            c.record(UnsafeBufferPointer(start: frames, count: count))
        }
        cbs.on_event = { user, _, event, _ in
            let c = Unmanaged<Collector>.fromOpaque(user!).takeUnretainedValue()
            c.lock.lock(); c.events.append(event); c.lock.unlock()
        }
        t.keepAlive.append(self)
        let me = Unmanaged.passUnretained(self).toOpaque()
        return app.withCString { a in stream.withCString { s in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            if let format {
                return format.withCString { f in t.api.reader_open_derived(t.host, &key, f, muxer, nil, &options, &cbs, me, &reader) }
            }
            return t.api.reader_open(t.host, &key, &options, &cbs, me, &reader)
        } }
    }

    private func record(_ frames: UnsafeBufferPointer<mr_frame>) {
        let api = HostAPITable.table.pointee
        lock.lock()
        if !onRightThread() { wrongThread += 1 }
        callSizes.append(frames.count)
        for f in frames {
            dts.append(f.dts)
            guard let p = f.payload, api.buf_len(p) >= 8, let d = api.buf_data(p) else { flags.append(f.flags); seqs.append(UInt64.max); continue }
            var v: UInt64 = 0
            withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: UnsafeRawBufferPointer(start: d, count: 8)) }
            seqs.append(UInt64(bigEndian: v))
            flags.append(f.flags)
        }
        lock.unlock()
        onFrame?(self)
    }
}

func waitUntil(timeout: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
