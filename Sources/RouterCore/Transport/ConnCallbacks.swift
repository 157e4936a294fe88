import PluginABI

/// A connection's C callbacks, copied by the append-only rule.
struct ConnCallbacks: @unchecked Sendable {
    let onOpen: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void
    let onData: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<UInt8>?, Int) -> Void
    let onWritable: (@convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32) -> Void)?
    let onClose: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?) -> Void

    init?(_ cbs: UnsafePointer<mr_conn_callbacks>?) {
        guard let cbs else { return nil }
        let local: mr_conn_callbacks = ABICopy.read(cbs)
        guard let onOpen = local.on_open, let onData = local.on_data, let onClose = local.on_close else { return nil }
        self.onOpen = onOpen
        self.onData = onData
        self.onWritable = local.on_writable
        self.onClose = onClose
    }
}
