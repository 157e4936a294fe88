/// The handler boxes of the commands each plugin instance offered, released when the instance is destroyed.
/// The host keeps only the `void *` of a handler, and the ABI has no call that gives it back, so before this
/// every box (and what its closure holds: often the plugin object itself, with its registries) stayed for
/// the life of the process, once per start: a plugin toggled by hot reload grew the heap each time.
/// `destroy` comes after the host has dropped the instance's commands and let every loop finish its calls.
enum OfferedCommands {
    /// Host pointer -> the boxes its instance offered; plugin state pointer -> its host pointer.
    private static let boxes = LockedValue<[UInt: [UInt]]>([:])
    private static let hosts = LockedValue<[UInt: UInt]>([:])

    /// [control] An instance made in `init`: its state pointer (what `destroy` receives) and its host.
    static func instance(_ state: UnsafeMutableRawPointer, host: OpaquePointer) {
        hosts.withLock { $0[UInt(bitPattern: state)] = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(host))) }
    }

    /// [control] A retained box the host now calls through.
    static func keep(_ box: UnsafeMutableRawPointer, host: OpaquePointer) {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(host)))
        boxes.withLock { $0[key, default: []].append(UInt(bitPattern: box)) }
    }

    /// [control] In `destroy`: the instance's boxes, each released once (they were passed retained).
    static func destroyed(_ state: UnsafeMutableRawPointer?) {
        guard let state, let host = hosts.withLock({ $0.removeValue(forKey: UInt(bitPattern: state)) }) else { return }
        for box in boxes.withLock({ $0.removeValue(forKey: host) }) ?? [] {
            if let p = UnsafeMutableRawPointer(bitPattern: box) { Unmanaged<AnyObject>.fromOpaque(p).release() }
        }
    }

    /// Boxes held for live instances, for tests.
    static var count: Int { boxes.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
