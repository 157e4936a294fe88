import NIOCore
import NIOPosix
import PluginABI

/// A plugin's UDP socket (`mr_udp`), on one loop.
final class UdpSocket: @unchecked Sendable {
    let channel: Channel
    let loopIndex: Int
    let port: UInt16
    let onDatagram: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<UInt8>?, Int, UnsafePointer<sockaddr>?, socklen_t) -> Void
    let onClose: (@convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?) -> Void)?
    let user: UnsafeMutableRawPointer?
    weak var owner: HostContext?
    var closed = false
    var closeReason: mr_close_reason = MR_CLOSE_LOCAL

    private init(channel: Channel, loopIndex: Int, cbs: mr_udp_callbacks, user: UnsafeMutableRawPointer?, owner: HostContext) {
        self.channel = channel
        self.loopIndex = loopIndex
        self.port = UInt16(channel.localAddress?.port ?? 0)
        self.onDatagram = cbs.on_datagram!
        self.onClose = cbs.on_close
        self.user = user
        self.owner = owner
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> UdpSocket? {
        guard let handle else { return nil }
        return Unmanaged<UdpSocket>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Blocks until bound; control thread only.
    static func bind(owner: HostContext, host: String, port: Int, loopIndex: Int, recvBuffer: Int, group: String?,
                     cbs: mr_udp_callbacks, user: UnsafeMutableRawPointer?) throws -> UdpSocket {
        let loop = owner.core.pollers.loop(loopIndex)
        let box = SocketBox()
        var bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UdpHandler(box: box))
                }
            }
        if recvBuffer > 0 { bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: recvBuffer) }
        let channel = try bootstrap.bind(host: host, port: port).wait()
        if let group {
            let address = try SocketAddress(ipAddress: group, port: 0)
            if let mc = channel as? MulticastChannel { try mc.joinGroup(address).wait() }
        }
        let sock = UdpSocket(channel: channel, loopIndex: loopIndex, cbs: cbs, user: user, owner: owner)
        try loop.submit { box.socket = sock }.wait()
        owner.track(sock)
        return sock
    }

    func send(to address: SocketAddress, _ buffers: [ByteBuffer]) -> Int32 {
        guard !closed else { return LastError.fail(MR_ERR_CLOSED, "socket is closed") }
        var payload: ByteBuffer
        if buffers.count == 1 {
            payload = buffers[0]
        } else {
            payload = channel.allocator.buffer(capacity: buffers.reduce(0) { $0 + $1.readableBytes })
            for var b in buffers { payload.writeBuffer(&b) }
        }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: payload), promise: nil)
        return Int32(MR_OK)
    }

    func close() {
        guard !closed else { return }
        channel.close(promise: nil)
    }

    func shutdown() -> EventLoopFuture<Void> {
        channel.eventLoop.execute {
            self.closeReason = MR_CLOSE_SHUTDOWN
            self.channel.close(promise: nil)
        }
        return channel.closeFuture.flatMap { self.channel.eventLoop.submit {} }
    }

    func finish() {
        guard !closed else { return }
        closed = true
        owner?.forget(self)
        if let onClose {
            TcpConnection.describe(closeReason).withCString { onClose(user, handle, Int32(bitPattern: closeReason.rawValue), $0) }
        }
    }
}

final class SocketBox: @unchecked Sendable { var socket: UdpSocket? }

final class UdpHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let box: SocketBox
    init(box: SocketBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let sock = box.socket, !sock.closed else { return }
        let envelope = unwrapInboundIn(data)
        envelope.remoteAddress.withSockAddr { addr, len in
            envelope.data.withUnsafeReadableBytes { raw in
                sock.onDatagram(sock.user, sock.handle, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count,
                                addr, socklen_t(len))
            }
        }
    }

    // A refused ICMP for one peer must not end the socket serving others.
    func errorCaught(context: ChannelHandlerContext, error: Error) {}

    func channelInactive(context: ChannelHandlerContext) {
        box.socket?.finish()
        context.fireChannelInactive()
    }
}
