import NIOCore
import PluginABI
import RouterCore

/// A synthetic publisher on the core's bus, for tests of a plugin's players: opens a source with tracks
/// through the real host table (as the test's own plugin context) and writes frames on the source's loop.
public final class BusPublisher: @unchecked Sendable {
    public let app: String
    public let stream: String
    private let embedded: EmbeddedHost
    private let loop: EventLoop
    private let source: OpaquePointer

    init(embedded: EmbeddedHost, app: String, stream: String, tracks: [BusTrack], loopIndex: Int) throws {
        self.embedded = embedded
        self.app = app
        self.stream = stream
        loop = embedded.core.pollers.loop(loopIndex)
        let api = embedded.api.pointee
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.loop = Int32(loopIndex)
        var out: OpaquePointer?
        let rc = "harness".withCString { proto in app.withCString { a in stream.withCString { s in
            options.protocol = proto
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return api.source_open(embedded.host, &key, &options, &out)
        } } }
        guard rc == MR_OK, let out else { throw HarnessError("source_open \(app)/\(stream) failed: \(rc)") }
        source = out
        let ready = try loop.submit { () -> Int32 in
            let api = self.embedded.api.pointee
            for t in tracks where t.withInfo({ api.source_add_track(self.source, &$0) }) < 0 { return Int32(MR_ERR_INVALID) }
            return api.source_ready(self.source)
        }.wait()
        guard ready == MR_OK else { throw HarnessError("source \(app)/\(stream) refused its tracks: \(ready)") }
    }

    /// Writes one frame (timestamps in microseconds, as on the bus) and returns the host's status.
    @discardableResult
    public func write(track: UInt32 = 0, pts: Int64, dts: Int64? = nil, key: Bool = false, _ payload: [UInt8]) -> Int32 {
        (try? loop.submit { () -> Int32 in
            let api = self.embedded.api.pointee
            guard let b = payload.withUnsafeBytes({ api.buf_copy($0.baseAddress, $0.count) }) else { return Int32(MR_ERR_NOMEM) }
            defer { api.buf_release(b) }
            var f = mr_frame(track: track, flags: key ? UInt32(MR_FRAME_KEY) : 0, pts: pts, dts: dts ?? pts, payload: b)
            return api.source_write(self.source, &f, 1)
        }.wait()) ?? Int32(MR_ERR_CLOSED)
    }

    /// Unpublishes (the source stays for the reconnect window, as for any publisher).
    public func close() {
        _ = try? loop.submit { self.embedded.api.pointee.source_close(self.source) }.wait()
    }
}
