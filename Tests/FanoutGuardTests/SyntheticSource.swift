import NIOCore
import PluginABI
import PluginHarness
import RouterCore

/// A publisher on loop 0 writing buffers allocated before the measurement, through the real host table,
/// one frame per loop task as a protocol session does (so only the bus and the players are measured).
final class SyntheticSource: Sendable {
    let loop: EventLoop
    private let table: HostTable
    private let source: SendablePointer

    /// `OpaquePointer` is not Sendable; the handle is only used on `loop`, as the ABI requires.
    struct SendablePointer: @unchecked Sendable { let value: OpaquePointer }
    /// The core's host table: immutable and process-wide, callable from any thread.
    struct HostTable: @unchecked Sendable { let value: UnsafePointer<mr_host_api> }

    var api: UnsafePointer<mr_host_api> { table.value }

    init(embedded: EmbeddedHost, app: String, stream: String, tracks: [BusTrack]) throws {
        let table = HostTable(value: embedded.api)
        self.table = table
        loop = embedded.core.pollers.loop(0)
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.loop = 0
        var out: OpaquePointer?
        let rc = app.withCString { a in stream.withCString { s in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return table.value.pointee.source_open(embedded.host, &key, &options, &out)
        } }
        guard rc == MR_OK, let out else { throw PlayerSockets.Failure(description: "source_open \(app)/\(stream): \(rc)") }
        let source = SendablePointer(value: out)
        self.source = source
        let ready = try loop.submit { () -> Int32 in
            let api = table.value.pointee
            for t in tracks where t.withInfo({ api.source_add_track(source.value, &$0) }) < 0 { return Int32(MR_ERR_INVALID) }
            return api.source_ready(source.value)
        }.wait()
        guard ready == MR_OK else { throw PlayerSockets.Failure(description: "source_ready: \(ready)") }
    }

    /// A buffer holding `bytes`, for the frames of a measurement (released by `release`).
    func buffer(_ bytes: [UInt8]) throws -> SendablePointer {
        guard let b = bytes.withUnsafeBytes({ api.pointee.buf_copy($0.baseAddress, $0.count) }) else {
            throw PlayerSockets.Failure(description: "buf_copy of \(bytes.count) bytes failed")
        }
        return SendablePointer(value: b)
    }

    func release(_ buffers: [SendablePointer]) { for b in buffers { api.pointee.buf_release(b.value) } }

    /// Queues one frame on the source's loop (timestamps in microseconds).
    func write(track: UInt32, pts: Int64, key: Bool, _ payload: SendablePointer) {
        let table = self.table
        let source = self.source
        loop.execute {
            var f = mr_frame(track: track, flags: key ? UInt32(MR_FRAME_KEY) : 0, pts: pts, dts: pts, payload: payload.value)
            _ = table.value.pointee.source_write(source.value, &f, 1)
        }
    }

    func close() {
        let table = self.table
        let source = self.source
        _ = try? loop.submit { table.value.pointee.source_close(source.value) }.wait()
    }
}
