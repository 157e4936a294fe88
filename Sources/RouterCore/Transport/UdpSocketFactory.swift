#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import PluginABI

/// Creates the sockets behind `udp_bind` and `udp_bind_group`. The core opens and binds each socket itself
/// and hands it to NIO, because NIO does not expose a channel's descriptor and the GSO send path
/// (UdpSegmentSend) needs it.
enum UdpSocketFactory {
    struct Settings {
        var host: String
        var port: Int
        var recvBuffer: Int
        var group: String?
        var reusePort: Bool
        /// mr_udp_options.read_interval_ms, clamped to 0...UdpReadBatcher.maxIntervalMs.
        var readIntervalMs = 0

        /// The options' read interval, for a plugin built for 1.6 or later only: the field sits where 1.5's
        /// struct had its tail padding, which a 1.5 plugin may have left uninitialised.
        static func readInterval(_ o: mr_udp_options, pluginMinor: Int) -> Int {
            pluginMinor >= 6 ? Int(o.read_interval_ms) : 0
        }
    }

    /// Blocks until bound; control thread only.
    static func bind(owner: HostContext, settings: Settings, loopIndex: Int, cbs: mr_udp_callbacks,
                     user: UnsafeMutableRawPointer?) throws -> UdpSocket {
        let loop = owner.core.pollers.loop(loopIndex)
        let address = try SocketAddress.makeAddressResolvingHost(settings.host, port: settings.port)
        let fd = try boundDescriptor(address, reusePort: settings.reusePort, shared: settings.reusePort || settings.group != nil,
                                     recvBuffer: settings.recvBuffer)
        let box = SocketBox()
        let channel = try DatagramBootstrap(group: loop)
            // One datagram per wakeup through NIO's pipeline; UdpHandler reads the others with recvmmsg.
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            // The bound on unsent datagrams: past the high mark sends are dropped (UdpSocket.enqueue).
            .channelOption(.writeBufferWaterMark, value: .init(low: UdpSocket.queueLimit / 2, high: UdpSocket.queueLimit))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UdpHandler(box: box, batcher: owner.core.pollers.udpReadBatcher(loopIndex)))
                }
            }
            .withBoundSocket(fd).wait()
        if let group = settings.group {
            let address = try SocketAddress(ipAddress: group, port: 0)
            if let mc = channel as? MulticastChannel { try mc.joinGroup(address).wait() }
        }
        let sock = UdpSocket(channel: channel, descriptor: fd, loopIndex: loopIndex,
                             readIntervalMs: min(max(settings.readIntervalMs, 0), UdpReadBatcher.maxIntervalMs),
                             cbs: cbs, user: user, owner: owner)
        try loop.submit { box.socket = sock }.wait()
        owner.track(sock)
        return sock
    }

    /// One socket per loop on one port (SO_REUSEPORT); all closed again if one bind fails.
    static func bindGroup(owner: HostContext, settings: Settings, cbs: mr_udp_callbacks,
                          user: UnsafeMutableRawPointer?) throws -> [UdpSocket] {
        var settings = settings
        settings.reusePort = true
        var sockets: [UdpSocket] = []
        do {
            for index in 0..<owner.core.pollers.count {
                let sock = try bind(owner: owner, settings: settings, loopIndex: index, cbs: cbs, user: user)
                sockets.append(sock)
                // Port 0: the first socket's port is the group's.
                settings.port = Int(sock.port)
            }
        } catch {
            for sock in sockets { _ = try? sock.shutdown().wait() }
            throw error
        }
        return sockets
    }

    /// A non-blocking UDP socket bound to `address`. SO_REUSEPORT for groups and reuse_port sockets. SO_REUSEADDR
    /// only for a socket meant to share its port (those, and multicast listeners): on UDP it lets every socket
    /// that sets it bind the same port, so a second unicast bind of a port taken would succeed and silently
    /// take the first one's datagrams, where a plugin scanning for a free port (or refusing a taken one) needs
    /// the bind to fail.
    static func boundDescriptor(_ address: SocketAddress, reusePort: Bool, shared: Bool, recvBuffer: Int) throws -> CInt {
        try BoundSocket.descriptor(address, type: CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue),
                                   reuseAddress: shared, reusePort: reusePort, recvBuffer: recvBuffer)
    }
}
