import NIOCore
import NIOPosix
import PluginABI

/// A plugin's UDP socket (`mr_udp`), on one loop. Sends go through the NIO channel, which writes every
/// datagram flushed together with one sendmmsg; only GSO runs use the descriptor directly (UdpSegmentSend).
final class UdpSocket: @unchecked Sendable {
    /// Bytes of unsent datagrams a socket may hold (NIO's high watermark); past it datagrams are dropped.
    static let queueLimit = 4 << 20
    /// Datagrams a corked socket queues before it flushes by itself.
    static let corkLimit = 1024

    let channel: Channel
    /// Owned by the channel, which closes it; used only on the loop while the socket is open.
    let descriptor: CInt
    let loopIndex: Int
    let port: UInt16
    let onDatagram: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<UInt8>?, Int, UnsafePointer<sockaddr>?, socklen_t) -> Void
    let onClose: (@convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?) -> Void)?
    let user: UnsafeMutableRawPointer?
    weak var owner: HostContext?
    // Owner loop.
    var closed = false
    var closeReason: mr_close_reason = MR_CLOSE_LOCAL
    private(set) var corked = false
    /// Datagrams queued since the last flush, sent by it with sendmmsg (UdpDirectSend).
    private var pending: [(address: SocketAddress, payload: ByteBuffer)] = []
    /// The previous flush's array, emptied with its capacity kept: swapped with `pending` so a flush allocates
    /// nothing (copying `pending` out would make its next append reallocate).
    private var spare: [(address: SocketAddress, payload: ByteBuffer)] = []
    private var pendingBytes = 0
    /// Datagrams written to the channel (behind a full socket buffer) since its last flush.
    private var unflushed = 0
    /// Datagrams dropped for send errors of their own (EPERM from a firewall, an unreachable route).
    private(set) var sendErrors = 0
    private var lastLoggedError: Int32 = 0
    /// Cleared when this socket's route refused a GSO send: later runs go out as plain datagrams.
    var segmentationUsable = NIOCore.System.supportsUDPSegmentationOffload
    /// GSO sends the kernel took (tests, and the plugin's own counters if it wants them).
    var segmentedSends = 0
    /// Datagrams read with recvmmsg (UdpBatchRead) rather than by NIO (tests).
    var batchedDatagrams = 0
    /// mr_udp_options.read_interval_ms (ABI 1.6): 0 = read on readiness only.
    let readIntervalMs: Int
    /// How the socket is read now (UdpReadBatcher): on the loop's readiness, or by a timed pass.
    enum ReadMode { case onReadiness, batched }
    var readMode = ReadMode.onReadiness

    init(channel: Channel, descriptor: CInt, loopIndex: Int, readIntervalMs: Int, cbs: mr_udp_callbacks,
         user: UnsafeMutableRawPointer?, owner: HostContext) {
        self.channel = channel
        self.readIntervalMs = readIntervalMs
        self.descriptor = descriptor
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

    /// Owner loop. One datagram of gathered buffers, sent now unless corked.
    func send(to address: SocketAddress, _ buffers: [ByteBuffer]) -> Int32 {
        guard !closed else { return LastError.fail(MR_ERR_CLOSED, "socket is closed") }
        var payload: ByteBuffer
        if buffers.count == 1 {
            payload = buffers[0]
        } else {
            payload = channel.allocator.buffer(capacity: buffers.reduce(0) { $0 + $1.readableBytes })
            for var b in buffers { payload.writeBuffer(&b) }
        }
        guard enqueue(payload, to: address) else { return LastError.fail(MR_ERR_BUSY, "send queue full: datagram dropped") }
        if !corked { flush() }
        return Int32(MR_OK)
    }

    /// Owner loop. Queues one datagram without a syscall; false (dropped) when the queue is full.
    func enqueue(_ payload: ByteBuffer, to address: SocketAddress) -> Bool {
        guard pendingBytes + payload.readableBytes <= Self.queueLimit, channel.isWritable else { return false }
        pending.append((address, payload))
        pendingBytes += payload.readableBytes
        if corked, pending.count >= Self.corkLimit { flush() }
        return true
    }

    /// Owner loop. Everything queued goes out: sendmmsg on the descriptor while the channel holds no backlog
    /// (so the order is kept), the channel's queue only for what a full socket buffer did not take.
    func flush() {
        guard !closed else { return }
        if unflushed > 0 {
            unflushed = 0
            channel.flush()
        }
        guard !pending.isEmpty else { return }
        // A flush re-entered from the channel (a writability callback that sends) finds `spare` empty and
        // works on its own array; this one is ours alone until it is handed back.
        var batch = spare
        spare = []
        swap(&batch, &pending)
        pendingBytes = 0
        defer {
            batch.removeAll(keepingCapacity: true)
            spare = batch
        }
        guard queueIsEmpty else { return toChannel(batch[...]) }
        let outcome = UdpDirectSend.send(descriptor: descriptor, batch[...])
        if outcome.failed > 0 { noteErrors(outcome.failed, outcome.error) }
        if let blocked = outcome.blockedAt { toChannel(batch[blocked...]) }
    }

    /// Datagrams the socket buffer had no room for wait in the channel, which sends them once it is writable.
    private func toChannel(_ datagrams: ArraySlice<(address: SocketAddress, payload: ByteBuffer)>) {
        for d in datagrams {
            guard channel.isWritable else { break }
            channel.write(AddressedEnvelope(remoteAddress: d.address, data: d.payload), promise: nil)
        }
        channel.flush()
    }

    /// A log line for each new kind of error (not each datagram: a firewall would flood the log).
    private func noteErrors(_ count: Int, _ error: Int32) {
        sendErrors += count
        guard error != lastLoggedError else { return }
        lastLoggedError = error
        owner?.logger.warning("udp port \(port): \(count) datagram(s) not sent: \(String(cString: strerror(error))) (the socket stays open)")
    }

    /// Owner loop. True when nothing is waiting in the channel, so a direct send keeps the order.
    var queueIsEmpty: Bool {
        pending.isEmpty && unflushed == 0 && ((try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? nil) == 0
    }

    func setCorked(_ on: Bool) {
        corked = on
        if !on { flush() }
    }

    /// The plugin asked for the close (udp_close), rather than the channel ending by itself.
    private var closeRequested = false

    /// Owner loop. Whether the descriptor may still be read: a close from a callback closes it at once.
    var reading: Bool { !closed && !closeRequested && channel.isActive }

    func close() {
        guard !closed else {
            // A socket that ended by itself was kept for its handle; the plugin is done with it now.
            owner?.forget(self)
            return
        }
        closeRequested = true
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
        // A socket that ended by itself (a fatal socket error) stays tracked, so its handle stays a valid
        // object whose calls fail with MR_ERR_CLOSED: a plugin that still holds it after on_close gets an
        // error, not freed memory. udp_close or the plugin's stop lets it go.
        if closeRequested || closeReason == MR_CLOSE_SHUTDOWN { owner?.forget(self) }
        if let onClose {
            TcpConnection.describe(closeReason).withCString { onClose(user, handle, Int32(bitPattern: closeReason.rawValue), $0) }
        }
    }
}

final class SocketBox: @unchecked Sendable { var socket: UdpSocket? }

final class UdpHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let box: SocketBox
    /// The loop's timed reader, for sockets with a read interval.
    let batcher: UdpReadBatcher
    init(box: SocketBox, batcher: UdpReadBatcher) {
        self.box = box
        self.batcher = batcher
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let sock = box.socket, !sock.closed else { return }
        let envelope = unwrapInboundIn(data)
        envelope.remoteAddress.withSockAddr { addr, len in
            envelope.data.withUnsafeReadableBytes { raw in
                sock.onDatagram(sock.user, sock.handle, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count,
                                addr, socklen_t(len))
            }
        }
        // NIO reads one datagram per wakeup (maxMessagesPerRead 1); the rest come with recvmmsg.
        let outcome = UdpBatchRead.drain(sock)
        // A trickle (less than a batch waited) is read by the loop's timer from now on, if the plugin allows.
        if sock.readIntervalMs > 0, sock.readMode == .onReadiness, !outcome.moreWaiting { batcher.adopt(sock) }
    }

    // A refused ICMP for one peer must not end the socket serving others.
    func errorCaught(context: ChannelHandlerContext, error: Error) {}

    func channelInactive(context: ChannelHandlerContext) {
        box.socket?.finish()
        context.fireChannelInactive()
    }
}
