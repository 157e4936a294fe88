import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PluginABI

/// A plugin's TCP listener (`mr_listener`). Accepted connections are spread over the loops by NIO.
final class TcpListener: @unchecked Sendable {
    let channel: Channel
    let port: UInt16
    weak var owner: HostContext?

    private init(channel: Channel, owner: HostContext) {
        self.channel = channel
        self.port = UInt16(channel.localAddress?.port ?? 0)
        self.owner = owner
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The accept queue when the plugin does not say: a ramp of 500 players a second into a busy 2-core server
    /// overflowed 256 (the kernel counted 107 drops in one RTMP run of the fan-out benchmark; those clients
    /// wait out SYN retries for seconds). The kernel caps it at net.core.somaxconn (4096 on Debian 12).
    static let defaultBacklog = 1024

    /// Connections taken from the accept queue each time the loop polls (NIO's default is 4). A loop that polls
    /// once per walk over its players (every frame interval when it is busy) accepted 4 per walk, about 130 a
    /// second, behind a ramp of 500 a second: the queue grew for the whole ramp and the last players waited
    /// seconds for their first answer.
    static let acceptsPerPoll: UInt = 64

    static func from(_ handle: OpaquePointer?) -> TcpListener? {
        guard let handle else { return nil }
        return Unmanaged<TcpListener>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Blocks until bound; control thread only.
    static func bind(owner: HostContext, host: String, port: Int, backlog: Int, reusePort: Bool, tls: NIOSSLContext?,
                     callbacks: ConnCallbacks, user: UnsafeMutableRawPointer?) throws -> TcpListener {
        let core = owner.core
        let userBox = UnsafeSendable(user)
        let bootstrap = ServerBootstrap(group: core.pollers.group)
            .serverChannelOption(.backlog, value: Int32(backlog))
            .serverChannelOption(.maxMessagesPerRead, value: acceptsPerPoll)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.init(rawValue: SO_REUSEPORT)), value: reusePort ? 1 : 0)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: TcpSendQueue.waterMark)
            .childChannelOption(TcpSendQueue.kernelUnsentOption, value: TcpSendQueue.kernelUnsentLimit)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            // NIO keeps each connection's receive buffer for reuse at the largest size it reached. A player
            // sends one request (HTTP, RTSP) or a handshake and then only reads, so starting at NIO's 2 KiB
            // held 1.5 KiB per player for nothing; a publisher's reads double it up to the same 64 KiB cap.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { [weak owner] channel in
                guard let owner, owner.alive.load(ordering: .relaxed) else {
                    return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                }
                let ip = channel.remoteAddress?.ipAddress ?? "unknown"
                let admission = owner.admission
                if let full = admission.admit(ip: ip, maxTotal: owner.configInt("max_connections"),
                                              maxPerIp: owner.configInt("max_connections_per_ip")) {
                    if let n = admission.refusalsToLog() {
                        owner.logger.notice("refused \(n) connection(s) over \(full) (last from \(ip))")
                    }
                    return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)   // NIO closes it
                }
                channel.closeFuture.whenComplete { _ in admission.release(ip: ip) }
                let index = core.pollers.loops.firstIndex { $0 === channel.eventLoop } ?? 0
                let conn = TcpConnection(id: core.ids.next(), channel: channel, loopIndex: index, callbacks: callbacks,
                                         user: userBox.value, owner: owner)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(TcpConnectionHandler(connection: conn))
                }
            }
        let channel = try bootstrap.bind(host: host, port: port).wait()
        let listener = TcpListener(channel: channel, owner: owner)
        owner.track(listener)
        return listener
    }

    func close() {
        owner?.forget(self)
        _ = try? channel.close().wait()
    }
}

/// Outgoing connections (`tcp_connect`).
enum TcpConnector {
    // swiftlint:disable:next function_parameter_count
    static func connect(owner: HostContext, host: String, port: Int, timeoutMs: Int, loopIndex: Int, local: SocketAddress?,
                        tls: (context: NIOSSLContext, serverName: String?)?, callbacks: ConnCallbacks,
                        user: UnsafeMutableRawPointer?) {
        let core = owner.core
        let loop = core.pollers.loop(loopIndex)
        let userBox = UnsafeSendable(user)
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(timeoutMs)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: TcpSendQueue.waterMark)
            .channelOption(TcpSendQueue.kernelUnsentOption, value: TcpSendQueue.kernelUnsentLimit)
            .channelInitializer { channel in
                let conn = TcpConnection(id: core.ids.next(), channel: channel, loopIndex: loopIndex,
                                         callbacks: callbacks, user: userBox.value, owner: owner)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // SNI must be a name, not an address literal.
                        let name = tls.serverName.flatMap { (try? SocketAddress(ipAddress: $0, port: 0)) == nil ? $0 : nil }
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHandler(TcpConnectionHandler(connection: conn))
                }
            }
        if let local {
            // A chosen local port may be a reuse_port listener's, or another connection's to another peer.
            bootstrap = bootstrap
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.init(rawValue: SO_REUSEPORT)), value: local.port == 0 ? 0 : 1)
                .bind(to: local)
        }
        bootstrap.connect(host: host, port: port).whenFailure { error in
            loop.execute {
                guard owner.alive.load(ordering: .relaxed) else { return }
                "connect to \(host):\(port) failed: \(error)".withCString {
                    callbacks.onClose(userBox.value, nil, Int32(bitPattern: MR_CLOSE_CONNECT_FAILED.rawValue), $0)
                }
            }
        }
    }
}

/// Carries a C pointer across a Sendable boundary; the ABI's threading rules make the access safe.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
