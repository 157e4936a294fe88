import MRPluginKit

/// Rewrites the timestamps of the FLV tags in a shared packet for one player, so its timeline starts near
/// 0: each tag becomes an 11-byte inline header with the new timestamp plus a range of the shared body.
public enum FlvTagRebase {
    /// True when `data[from...]` is a run of complete FLV tags.
    public static func isWholeTags(_ data: UnsafeRawBufferPointer, from: Int) -> Bool {
        var i = from
        while i < data.count {
            guard data.count - i >= 15 else { return false }
            let size = Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard data.count - i - 15 >= size else { return false }
            i += 11 + size + 4
        }
        return true
    }

    /// Adds the tags found in `data[from...]` of `buf`, timestamps lowered by `shiftMs` (floored at 0).
    /// False if the bytes are not whole tags; the caller then sends the packet unchanged.
    public static func append(_ out: inout IovecBuilder, buf: OpaquePointer, data: UnsafeRawBufferPointer, from: Int,
                              shiftMs: UInt32) -> Bool {
        // Validate first, so a malformed packet adds nothing; then walk again to emit (no scratch storage).
        guard isWholeTags(data, from: from) else { return false }
        var at = from
        while at < data.count {
            let old = UInt32(data[at + 4]) << 16 | UInt32(data[at + 5]) << 8 | UInt32(data[at + 6]) | UInt32(data[at + 7]) << 24
            let ts = old >= shiftMs ? old - shiftMs : 0
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 11) { h in
                h[0] = data[at]; h[1] = data[at + 1]; h[2] = data[at + 2]; h[3] = data[at + 3]
                h[4] = UInt8((ts >> 16) & 0xFF); h[5] = UInt8((ts >> 8) & 0xFF); h[6] = UInt8(ts & 0xFF); h[7] = UInt8(ts >> 24)
                h[8] = 0; h[9] = 0; h[10] = 0
                out.inline(UnsafeRawBufferPointer(h))
            }
            let size = Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
            out.range(buf, at + 11, size + 4)
            at += 11 + size + 4
        }
        return true
    }
}
