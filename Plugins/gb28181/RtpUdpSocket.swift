import MRPluginKit
import PluginABI

/// Binding the host's UDP sockets of RTP servers and senders: one place for the options and the callback
/// plumbing. The handler (and what it captures) lives until the socket's on_close.
enum RtpUdpSocket {
    private final class Receiver {
        let handle: (UnsafeBufferPointer<UInt8>, UdpPeer?) -> Void
        init(_ handle: @escaping (UnsafeBufferPointer<UInt8>, UdpPeer?) -> Void) { self.handle = handle }
    }

    /// [control or a worker] The socket bound to `address:port` (0 = any), its datagrams handed to `handle`
    /// with `owner` on `loop`; nil when the port is taken.
    static func bind<Owner: AnyObject>(_ host: PluginHost, address: String, port: UInt16, loop: Int32, recvBuffer: Int32 = 0,
                                       reusePort: Bool = false, readIntervalMs: Int = 0, owner: Owner, _ handle: @escaping (Owner, UnsafeBufferPointer<UInt8>, UdpPeer?) -> Void) -> OpaquePointer? {
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        options.port = port
        options.loop = loop
        options.recv_buffer = recvBuffer
        options.reuse_port = reusePort ? 1 : 0
        options.read_interval_ms = Int32(clamping: readIntervalMs)
        var cbs = mr_udp_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_udp_callbacks>.size)
        cbs.on_datagram = { user, _, data, len, from, fromLen in
            guard let user, let data else { return }
            Unmanaged<Receiver>.fromOpaque(user).takeUnretainedValue()
                .handle(UnsafeBufferPointer(start: data, count: len), from.flatMap { UdpPeer($0, fromLen) })
        }
        cbs.on_close = { user, _, _, _ in
            guard let user else { return }
            Unmanaged<Receiver>.fromOpaque(user).release()
        }
        let user = Unmanaged.passRetained(Receiver { handle(owner, $0, $1) }).toOpaque()
        var out: OpaquePointer?
        let rc = address.withCString { a in
            options.bind_address = a
            return host.table.udp_bind(host.host, &options, &cbs, user, &out)
        }
        guard rc == MR_OK, let out else {
            Unmanaged<Receiver>.fromOpaque(user).release()
            return nil
        }
        return out
    }
}
