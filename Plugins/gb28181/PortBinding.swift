import MRPluginKit
import PluginABI

/// Binding the local ports RTP servers and senders use: the port asked for, or the next free one of the range.
enum PortBinding {
    /// Tries `requested`, or with 0 up to 2,000 ports of `range` round-robin; true once `attempt` succeeds.
    static func bind(requested: Int, range: ClosedRange<Int>, registry: RtpServerRegistry, _ attempt: (UInt16) -> Bool) -> Bool {
        if requested != 0 { return attempt(UInt16(clamping: requested)) }
        for _ in 0..<min(range.count, 2000) where attempt(UInt16(registry.nextPort(in: range))) { return true }
        return false
    }

    /// [control or a worker] A TCP listener whose connections go to `factory`; nil when the port is taken.
    static func listen(_ host: PluginHost, port: UInt16, address: String, reusePort: Bool, factory: ConnectionFactory) -> OpaquePointer? {
        var options = mr_listen_options()
        options.size = UInt32(MemoryLayout<mr_listen_options>.size)
        options.port = port
        options.reuse_port = reusePort ? 1 : 0
        var cbs = ConnectionBridge.callbacks()
        var out: OpaquePointer?
        let rc = address.withCString { a in
            options.bind_address = a
            return host.table.tcp_listen(host.host, &options, &cbs, ConnectionBridge.user(for: factory), &out)
        }
        return rc == MR_OK ? out : nil
    }
}
