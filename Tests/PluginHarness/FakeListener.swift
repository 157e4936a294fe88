import NIOConcurrencyHelpers
import PluginABI

/// A plugin's TCP listener (`mr_listener *`) that binds nothing: `PluginHarness.connect` opens connections
/// to it, with the callbacks and user pointer the plugin gave `tcp_listen`.
public final class FakeListener: @unchecked Sendable {
    public let port: UInt16
    public let bindAddress: String
    /// The plugin asked for TLS (a certificate and a key); the fake carries plain bytes all the same.
    public let tls: Bool
    let callbacks: mr_conn_callbacks
    let user: UnsafeMutableRawPointer?
    private let closed = NIOLockedValueBox(false)

    init(port: UInt16, bindAddress: String, tls: Bool, callbacks: mr_conn_callbacks, user: UnsafeMutableRawPointer?) {
        self.port = port
        self.bindAddress = bindAddress
        self.tls = tls
        self.callbacks = callbacks
        self.user = user
    }

    public var isClosed: Bool { closed.withLockedValue { $0 } }

    func close() { closed.withLockedValue { $0 = true } }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> FakeListener? {
        guard let handle else { return nil }
        return Unmanaged<FakeListener>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }
}
