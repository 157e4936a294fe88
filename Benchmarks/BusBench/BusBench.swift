import CMallocCounter
import Foundation
import Logging
import PluginABI
import RouterCore

/// Bus benchmark: the cost of delivering frames to 1, 100 and 10,000 readers spread over all loops,
/// heap allocations per frame, and the cost of a buffer retain/release pair across the C boundary.
/// Run a release build: `swift run -c release mediarouter-busbench [frames]`.
@main
enum BusBench {
    /// One reader's counter, touched only on the reader's loop.
    final class Counter {
        var frames = 0
        var payloadPointer: UnsafePointer<UInt8>?
    }

    static func main() {
        let frames = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 2000
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var settings = ServerSettings()
        settings.bus.noneReaderMs = 86_400_000
        let core = CoreServices(pollers: Pollers(threads: settings.threads), settings: settings, logger: logger)
        let embedded = EmbeddedHost(core: core, name: "bench")
        benchAPI = embedded.api
        print("MediaRouter bus benchmark: \(core.pollers.count) loops, \(frames) frames of 1000 bytes per run")
        print(String(format: "%8@ %14@ %16@ %18@ %16@", "readers", "CPU ns/frame", "CPU ns/delivery",
                     "mallocs/frame", "mallocs/frame/loop") as String)
        for (i, readers) in [1, 100, 10_000].enumerated() {
            run(embedded, stream: "s\(i)", readers: readers, frames: frames)
        }
        retainRelease(embedded)
        embedded.close()
        core.shutdown()
        core.pollers.shutdown()
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func run(_ e: EmbeddedHost, stream: String, readers: Int, frames: Int) {
        let api = e.api.pointee
        let loops = e.core.pollers
        var source: OpaquePointer?
        var sopts = mr_source_options()
        sopts.size = UInt32(MemoryLayout<mr_source_options>.size)
        sopts.loop = 0
        "bench".withCString { a in stream.withCString { s in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            _ = api.source_open(e.host, &key, &sopts, &source)
        } }
        guard let source else { fatalError("source_open: \(String(cString: api.last_error()!))") }
        var track = mr_track_info()
        track.size = UInt32(MemoryLayout<mr_track_info>.size)
        track.codec = Int32(bitPattern: MR_CODEC_H264.rawValue)
        track.kind = Int32(bitPattern: MR_TRACK_VIDEO.rawValue)
        track.clock_rate = 90000
        _ = api.source_add_track(source, &track)
        _ = api.source_ready(source)

        var counters: [Counter] = []
        var handles: [OpaquePointer?] = []
        var cbs = mr_reader_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_reader_callbacks>.size)
        cbs.on_frames = { user, _, frames, count in
            let c = Unmanaged<Counter>.fromOpaque(user!).takeUnretainedValue()
            c.frames += count
            if c.payloadPointer == nil, let p = frames?.pointee.payload { c.payloadPointer = HostAPITable_data(p) }
        }
        cbs.on_event = { _, _, _, _ in }
        for i in 0..<readers {
            let c = Counter()
            counters.append(c)
            var ropts = mr_reader_options()
            ropts.size = UInt32(MemoryLayout<mr_reader_options>.size)
            ropts.loop = Int32(i % loops.count)
            ropts.wait_ms = 1000
            var reader: OpaquePointer?
            "bench".withCString { a in stream.withCString { s in
                var key = mr_stream_key(vhost: nil, app: a, stream: s)
                _ = api.reader_open(e.host, &key, &ropts, &cbs, Unmanaged.passUnretained(c).toOpaque(), &reader)
            } }
            handles.append(reader)
        }
        drain(loops)

        let payloads: [OpaquePointer] = (0..<frames).map { _ in
            let b = api.buf_alloc(1000)!
            memset(api.buf_mutable(b)!, 0x5A, 1000)
            return b
        }
        let firstData = api.buf_data(payloads[0])
        let box = Box(source: source, payloads: payloads, api: e.api)
        drain(loops)
        let cpu0 = cpuSeconds()
        let mallocs0 = mr_malloc_count()
        let wall0 = Date()
        // The publisher writes from its own loop, a frame per task, as a protocol session would.
        for i in 0..<frames {
            loops.loop(0).execute {
                var f = mr_frame(track: 0, flags: i % 50 == 0 ? UInt32(MR_FRAME_KEY) : 0, pts: Int64(i) * 40_000,
                                 dts: Int64(i) * 40_000, payload: box.payloads[i])
                _ = box.api.pointee.source_write(box.source, &f, 1)
            }
        }
        while counters.contains(where: { $0.frames < frames }) { drain(loops) }
        let wall = Date().timeIntervalSince(wall0)
        let cpu = cpuSeconds() - cpu0
        let mallocs = Double(mr_malloc_count() - mallocs0)
        let deliveries = Double(frames * readers)
        let loopsWithReaders = Double(min(readers, loops.count))
        print(String(format: "%8d %14.0f %16.1f %18.2f %16.2f", readers, cpu / Double(frames) * 1e9, cpu / deliveries * 1e9,
                     mallocs / Double(frames), mallocs / Double(frames) / loopsWithReaders))
        let zeroCopy = counters.allSatisfy { $0.payloadPointer == firstData }
        print("         wall \(String(format: "%.3f", wall)) s, \(Int(deliveries)) deliveries, payload shared (zero copies): \(zeroCopy)")

        for (i, h) in handles.enumerated() {
            guard let h else { continue }
            let hb = UnsafeSendable(h)
            try? loops.loop(i % loops.count).submit { api_close(e, hb.value) }.wait()
        }
        try? loops.loop(0).submit { box.api.pointee.source_close(box.source) }.wait()
        for p in payloads { api.buf_release(p) }
        drain(loops)
        withExtendedLifetime(counters) {}
    }

    static func retainRelease(_ e: EmbeddedHost) {
        let api = e.api.pointee
        let b = api.buf_alloc(64)!
        let n = 10_000_000
        let t0 = cpuSeconds()
        for _ in 0..<n {
            api.buf_retain(b)
            api.buf_release(b)
        }
        let t = cpuSeconds() - t0
        api.buf_release(b)
        print(String(format: "buffer retain+release across the C boundary: %.1f ns per pair", t / Double(n) * 1e9))
    }

    static func drain(_ loops: Pollers) {
        for _ in 0..<2 { for l in loops.loops { try? l.submit {}.wait() } }
    }

    final class Box: @unchecked Sendable {
        let source: OpaquePointer
        let payloads: [OpaquePointer]
        let api: UnsafePointer<mr_host_api>
        init(source: OpaquePointer, payloads: [OpaquePointer], api: UnsafePointer<mr_host_api>) {
            self.source = source
            self.payloads = payloads
            self.api = api
        }
    }

    struct UnsafeSendable: @unchecked Sendable {
        let value: OpaquePointer
        init(_ value: OpaquePointer) { self.value = value }
    }
}

private func api_close(_ e: EmbeddedHost, _ reader: OpaquePointer) { e.api.pointee.reader_close(reader) }

/// The payload's data pointer, read through the host table like a plugin would.
private func HostAPITable_data(_ buf: OpaquePointer) -> UnsafePointer<UInt8>? {
    benchAPI?.pointee.buf_data(buf)
}

nonisolated(unsafe) private var benchAPI: UnsafePointer<mr_host_api>?
