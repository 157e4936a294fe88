import PluginABI

/// Small conveniences over the host table that every protocol plugin needs.
public extension PluginHost {
    /// A new buffer holding `bytes` (one reference, caller releases).
    func buffer<C: Collection>(_ bytes: C) -> OpaquePointer? where C.Element == UInt8 {
        let count = bytes.count
        guard let b = table.buf_alloc(count) else { return nil }
        if count > 0, let dst = table.buf_mutable(b) {
            // Not specialised across modules: a byte loop here runs through protocol witnesses per byte (29 %
            // of the server's CPU at 30 SRT publishers); contiguous collections (arrays, slices) take one copy.
            let copied: Void? = bytes.withContiguousStorageIfAvailable { src in
                guard let base = src.baseAddress else { return }
                UnsafeMutableRawPointer(dst).copyMemory(from: base, byteCount: min(count, src.count))
            }
            if copied == nil {
                var i = 0
                for byte in bytes { dst[i] = byte; i += 1 }
            }
        }
        return b
    }

    func bytes(of buf: OpaquePointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: table.buf_data(buf), count: table.buf_len(buf))
    }

    @discardableResult
    func send(_ conn: OpaquePointer, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { table.conn_send_bytes(conn, $0.baseAddress, $0.count) }
    }

    @discardableResult
    func send(_ conn: OpaquePointer, buffers: [OpaquePointer?]) -> Int32 {
        buffers.withUnsafeBufferPointer { table.conn_send(conn, $0.baseAddress, $0.count) }
    }

    /// Calls `body` with a C stream key that is valid for the call.
    func withKey<T>(vhost: String?, app: String, stream: String, _ body: (inout mr_stream_key) -> T) -> T {
        (vhost ?? "").withCString { v in app.withCString { a in stream.withCString { s in
            var key = mr_stream_key(vhost: v, app: a, stream: s)
            return body(&key)
        } } }
    }

    func peer(_ conn: OpaquePointer) -> String { table.conn_peer(conn).map { String(cString: $0) } ?? "" }

    func trackInfo(reader: OpaquePointer, _ index: UInt32) -> mr_track_info? {
        var info = mr_track_info()
        info.size = UInt32(MemoryLayout<mr_track_info>.size)
        return table.reader_track_info(reader, index, &info) == MR_OK ? info : nil
    }

    func trackInfo(ring: OpaquePointer, _ index: UInt32) -> mr_track_info? {
        var info = mr_track_info()
        info.size = UInt32(MemoryLayout<mr_track_info>.size)
        return table.ring_track_info(ring, index, &info) == MR_OK ? info : nil
    }
}

public extension mr_track_info {
    /// The extradata bytes (valid while the host keeps the track current).
    var extradataBytes: [UInt8] {
        guard let p = extradata, extradata_len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: extradata_len))
    }
}
