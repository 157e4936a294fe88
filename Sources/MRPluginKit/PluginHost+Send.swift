import PluginABI

public extension PluginHost {
    /// Writes a reader's packets to a connection as they are (shared buffers, one gathered write) and
    /// returns the bytes sent. The fan-out hot path of every player.
    @inlinable
    func sendPackets(_ conn: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) -> Int {
        var bytes = 0
        for f in frames { bytes += table.buf_len(f.payload) }
        // One frame per delivery is the common case: pass its buffer without building an array.
        if frames.count == 1 {
            var payload = frames[0].payload
            _ = table.conn_send(conn, &payload, 1)
        } else {
            let bufs = frames.map { $0.payload }
            _ = bufs.withUnsafeBufferPointer { table.conn_send(conn, $0.baseAddress, $0.count) }
        }
        return bytes
    }
}
