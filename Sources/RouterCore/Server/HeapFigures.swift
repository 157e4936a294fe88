import CSocketShims

/// The C allocator's own account (glibc `mallinfo2`): bytes handed out and bytes it holds free. With the live
/// object counts this tells a leak (in-use bytes that do not come back) from an allocator that keeps freed
/// memory mapped (RSS stays up while in-use bytes fall). Walks every arena under its lock: for an API call,
/// not for a hot path.
public enum HeapFigures {
    public static func snapshot() -> [String: Int] {
        var inUse = 0, heldFree = 0
        mr_shim_heap(&inUse, &heldFree)
        return ["HeapInUseBytes": inUse, "HeapFreeBytes": heldFree]
    }
}
