import NIOCore
import PluginABI

/// A TCP connection as a plugin sees it (`mr_conn`). Confined to its channel's loop.
final class TcpConnection: @unchecked Sendable {
    let id: UInt64
    let channel: Channel
    let loopIndex: Int
    /// The socket's descriptor when sends may bypass NIO (a plain connection the core accepted itself).
    let descriptor: CInt?
    /// Writes to NIO not yet completed, counted only when `descriptor` is set (TcpConnection+Direct.swift).
    var nioWritesInFlight = 0
    let callbacks: ConnCallbacks
    var user: UnsafeMutableRawPointer?
    weak var owner: HostContext?
    var context: ChannelHandlerContext?
    var corked = false
    /// A bus reader's frames have been sent here (TcpConnection+Streaming.swift).
    var streaming = false
    /// The plugin set TCP_NODELAY itself (`conn_set_nodelay`): streaming leaves it as the plugin chose.
    var nodelayChosen = false
    var opened = false
    var closed = false
    var closeReason: mr_close_reason?
    var errorMessage: String?
    /// A large send waiting to go to NIO in chunks (TcpConnection+Backlog.swift); empty in the steady state.
    var backlog: [ByteBuffer] = []
    var backlogNext = 0
    var chunkInFlight = false
    /// The plugin is held "not writable" because of the backlog.
    var heldWritability = false
    var pluginSeesWritable = true
    /// A graceful close asked for while the backlog drained.
    var closeWhenDrained = false
    /// conn_send_vec's inline runs (a player's rewritten packet headers), sent as slices of it. NIO drops
    /// the slices once the socket took them, usually within the same call, so the next call finds the
    /// storage unique and reuses it; while slices are still queued, `clear` gives it fresh storage.
    private var scratch: ByteBuffer?
    private(set) lazy var peerText = OwnedCString(channel.remoteAddress.map(Self.format) ?? "unknown")
    private(set) lazy var localText = OwnedCString(channel.localAddress.map(Self.format) ?? "unknown")

    init(id: UInt64, channel: Channel, loopIndex: Int, descriptor: CInt? = nil, callbacks: ConnCallbacks,
         user: UnsafeMutableRawPointer?, owner: HostContext) {
        self.id = id
        self.channel = channel
        self.loopIndex = loopIndex
        self.descriptor = descriptor
        self.callbacks = callbacks
        self.user = user
        self.owner = owner
        LiveObjects.created(.connection)
    }

    deinit { LiveObjects.destroyed(.connection) }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> TcpConnection? {
        guard let handle else { return nil }
        return Unmanaged<TcpConnection>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    static func format(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    func send(_ buffers: [ByteBuffer]) -> Int32 {
        guard !closed, let context else { return LastError.fail(MR_ERR_CLOSED, "connection is closed") }
        for (i, b) in buffers.enumerated() {
            context.write(NIOAny(b), promise: i == buffers.count - 1 ? nioWritePromise(context) : nil)
        }
        if !corked { context.flush() }
        return Int32(MR_OK)
    }

    func send(count: Int, _ buffer: (Int) -> ByteBuffer?) -> Int32 {
        guard !closed, let context else { return LastError.fail(MR_ERR_CLOSED, "connection is closed") }
        for i in 0..<count {
            guard let b = buffer(i) else {
                // What went before is queued: a direct write must still wait for it.
                if i > 0, descriptor != nil { context.write(NIOAny(ByteBuffer()), promise: nioWritePromise(context)) }
                return LastError.fail(MR_ERR_INVALID, "bad buffer at \(i)")
            }
            context.write(NIOAny(b), promise: i == count - 1 ? nioWritePromise(context) : nil)
        }
        if !corked { context.flush() }
        return Int32(MR_OK)
    }

    /// The scratch buffer emptied, at least `count` bytes, filled by `fill`; the caller slices the copy it gets.
    /// A buffer grown past `scratchKept` (a plugin sent large inline bytes once) is not kept.
    func inlineScratch(_ count: Int, _ fill: (inout ByteBuffer) -> Void) -> ByteBuffer {
        if var s = scratch, s.capacity >= count {
            scratch = nil   // `s` is then the only reference: the storage stays unique while it is cleared and written
            s.clear()
            fill(&s)
            scratch = s
            return s
        }
        var s = channel.allocator.buffer(capacity: max(count, 256))
        fill(&s)
        scratch = s.capacity <= Self.scratchKept ? s : nil
        return s
    }

    static let scratchKept = 4096

    /// A send went straight to the socket: nothing of this connection waits in NIO, so no slice of the scratch
    /// is alive, and a player that keeps up needs none (a kilobyte per player, kept since its first GOP
    /// outran the socket). A connection that falls behind again allocates it anew.
    func dropScratch() {
        if scratch != nil { scratch = nil }
    }

    /// The scratch's capacity, 0 without one (tests).
    var scratchCapacity: Int { scratch?.capacity ?? 0 }

    func setCorked(_ on: Bool) {
        corked = on
        if !on, let context, !closed { context.flush() }
    }

    /// Any thread: hops to the connection's loop, so `stop` may close sessions directly.
    func close(abort: Bool) {
        guard channel.eventLoop.inEventLoop else {
            channel.eventLoop.execute { self.close(abort: abort) }
            return
        }
        guard !closed else { return }
        if closeReason == nil { closeReason = MR_CLOSE_LOCAL }
        if abort {
            channel.close(promise: nil)
        } else if !backlog.isEmpty {
            closeWhenDrained = true   // the backlog's bytes go first; its last chunk closes
        } else {
            // NIO fails writes still queued at close: close once the last queued write has completed,
            // so the peer gets every byte the plugin sent.
            guard let context else { channel.close(promise: nil); return }
            let channel = self.channel
            let written = nioWritePromise(context) ?? context.eventLoop.makePromise()
            context.writeAndFlush(NIOAny(ByteBuffer()), promise: written)
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Closes for a plugin stop or server shutdown; the future completes after on_close ran.
    func shutdown() -> EventLoopFuture<Void> {
        channel.eventLoop.execute {
            if self.closeReason == nil { self.closeReason = MR_CLOSE_SHUTDOWN }
            self.channel.close(promise: nil)
        }
        return channel.closeFuture.flatMap { self.channel.eventLoop.submit {} }
    }

    /// Runs exactly once, from the handler, when the channel went inactive.
    func finish() {
        guard !closed else { return }
        closed = true
        let reason = closeReason ?? (errorMessage != nil ? MR_CLOSE_ERROR : MR_CLOSE_PEER)
        let message = errorMessage ?? Self.describe(reason)
        owner?.forget(self)
        context = nil
        dropBacklog()
        // NIO may report a close from inside a write or close call; the plugin hears of it from the loop,
        // never re-entrantly from inside a host call.
        channel.eventLoop.execute {
            message.withCString { self.callbacks.onClose(self.user, self.handle, Int32(bitPattern: reason.rawValue), $0) }
        }
    }

    static func describe(_ reason: mr_close_reason) -> String {
        switch reason {
        case MR_CLOSE_LOCAL: return "closed locally"
        case MR_CLOSE_PEER: return "closed by peer"
        case MR_CLOSE_ERROR: return "error"
        case MR_CLOSE_TIMEOUT: return "timeout"
        case MR_CLOSE_SHUTDOWN: return "shutting down"
        case MR_CLOSE_CONNECT_FAILED: return "connect failed"
        default: return "closed"
        }
    }
}

/// Bridges NIO events to a plugin's connection callbacks.
final class TcpConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let connection: TcpConnection

    init(connection: TcpConnection) { self.connection = connection }

    func handlerAdded(context: ChannelHandlerContext) {
        connection.context = context
        if context.channel.isActive { open() }
    }

    func channelActive(context: ChannelHandlerContext) {
        open()
        context.fireChannelActive()
    }

    private func open() {
        guard !connection.opened else { return }
        connection.opened = true
        connection.owner?.track(connection)
        connection.callbacks.onOpen(connection.user, connection.handle)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !connection.closed else { return }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { raw in
            let p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            connection.callbacks.onData(connection.user, connection.handle, p, raw.count)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // While a backlog drains the plugin stays paused; it hears "writable" when the backlog is gone.
        let writable = context.channel.isWritable
        guard !(writable && connection.heldWritability) else { return }
        connection.tellWritable(writable)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if connection.errorMessage == nil { connection.errorMessage = "\(error)" }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.finish()
        context.fireChannelInactive()
    }
}
