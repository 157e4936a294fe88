#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PluginABI

/// A plugin's TCP listener (`mr_listener`). The core accepts on its own socket (TcpAcceptor) and spreads
/// the connections over the loops in turn, as NIO's server channel did; knowing each descriptor lets a plain
/// connection write directly (TcpConnection+Direct.swift).
final class TcpListener: @unchecked Sendable {
    let acceptor: TcpAcceptor
    let port: UInt16
    weak var owner: HostContext?

    private init(acceptor: TcpAcceptor, owner: HostContext) {
        self.acceptor = acceptor
        self.port = acceptor.port
        self.owner = owner
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The accept queue when the plugin does not say: a ramp of 500 players a second into a busy 2-core server
    /// overflowed 256 (the kernel counted 107 drops in one RTMP run of the fan-out benchmark; those clients
    /// wait out SYN retries for seconds). The kernel caps it at net.core.somaxconn (4096 on Debian 12).
    static let defaultBacklog = 1024

    static func from(_ handle: OpaquePointer?) -> TcpListener? {
        guard let handle else { return nil }
        return Unmanaged<TcpListener>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Blocks until bound; control thread only.
    static func bind(owner: HostContext, host: String, port: Int, backlog: Int, reusePort: Bool, tls: NIOSSLContext?,
                     callbacks: ConnCallbacks, user: UnsafeMutableRawPointer?) throws -> TcpListener {
        let acceptor = try TcpAcceptor(host: host, port: port, backlog: backlog, reusePort: reusePort)
        let listener = TcpListener(acceptor: acceptor, owner: owner)
        let userBox = UnsafeSendable(user)
        acceptor.start { [weak owner] fd in
            guard let owner else {
                Glibc.close(fd)
                return
            }
            // A refused or failed connection is closed by NIO; nothing to report.
            connection(fd, owner: owner, tls: tls, callbacks: callbacks, user: userBox).whenFailure { _ in }
        } ended: { [weak owner, port = acceptor.port] e in
            owner?.logger.error("listener on port \(port) stopped accepting: \(IOError(errnoCode: e, reason: "accept"))")
        }
        owner.track(listener)
        return listener
    }

    /// Hands an accepted descriptor to NIO on the next loop in turn, with the options NIO's server channel gave
    /// its children.
    private static func connection(_ fd: CInt, owner: HostContext, tls: NIOSSLContext?, callbacks: ConnCallbacks,
                                   user: UnsafeSendable<UnsafeMutableRawPointer?>) -> EventLoopFuture<Channel> {
        let core = owner.core
        let index = core.pollers.nextIndex()
        return ClientBootstrap(group: core.pollers.loop(index))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: TcpSendQueue.waterMark)
            .channelOption(TcpSendQueue.kernelUnsentOption, value: TcpSendQueue.kernelUnsentLimit)
            .channelOption(.maxMessagesPerRead, value: 4)
            // NIO keeps each connection's receive buffer for reuse at the largest size it reached. A player
            // sends one request (HTTP, RTSP) or a handshake and then only reads, so starting at NIO's 2 KiB
            // held 1.5 KiB per player for nothing; a publisher's reads double it up to the same 64 KiB cap.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .channelInitializer { [weak owner] channel in
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
                let conn = TcpConnection(id: core.ids.next(), channel: channel, loopIndex: index, descriptor: tls == nil ? fd : nil,
                                         callbacks: callbacks, user: user.value, owner: owner)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(TcpConnectionHandler(connection: conn))
                }
            }
            .withConnectedSocket(fd)
    }

    func close() {
        owner?.forget(self)
        acceptor.stop()
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
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
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
