import PluginABI

/// A reader's C callbacks and user pointer, copied by the append-only rule.
struct ReaderCallbacks: @unchecked Sendable {
    let onFrames: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<mr_frame>?, Int) -> Void
    let onEvent: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32, Int64) -> Void
    let user: UnsafeMutableRawPointer?

    init?(_ cbs: UnsafePointer<mr_reader_callbacks>?, user: UnsafeMutableRawPointer?) {
        guard let cbs else { return nil }
        let local: mr_reader_callbacks = ABICopy.read(cbs)
        guard let onFrames = local.on_frames, let onEvent = local.on_event else { return nil }
        self.onFrames = onFrames
        self.onEvent = onEvent
        self.user = user
    }

    /// For readers the core itself creates (tests, benchmarks) with Swift closures behind a C shim.
    init(onFrames: @escaping @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<mr_frame>?, Int) -> Void,
         onEvent: @escaping @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32, Int64) -> Void,
         user: UnsafeMutableRawPointer?) {
        self.onFrames = onFrames
        self.onEvent = onEvent
        self.user = user
    }
}
