/// The append-only table rule: a struct written by a peer built against another minor version is read by
/// copying `min(writer size, our size)` bytes into a zeroed struct of ours, so fields the writer did not
/// know read as zero.
enum ABICopy {
    static func read<T>(_ pointer: UnsafePointer<T>) -> T {
        let writerSize = Int(UnsafeRawPointer(pointer).load(as: UInt32.self))
        let local = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        defer { local.deallocate() }
        local.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
        local.copyMemory(from: pointer, byteCount: min(max(writerSize, 0), MemoryLayout<T>.size))
        return local.load(as: T.self)
    }
}
