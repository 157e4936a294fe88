import CSocketShims
import NIOCore
import PluginABI

/// A plain TCP connection the core accepted (so it knows the descriptor) writes a send straight to the
/// socket when nothing of it waits anywhere else: no backlog, nothing corked, nothing in NIO's queue. What
/// the kernel does not take goes to NIO, which waits for the socket to drain as it always did; until NIO has
/// completed that write (and every later one that queued behind it) sends go through NIO too, so bytes keep
/// their order. TLS connections never write directly (NIOSSL must see every byte).
extension TcpConnection {
    var writesDirectly: Bool {
        descriptor != nil && nioWritesInFlight == 0 && backlog.isEmpty && !chunkInFlight && !corked && !closed && channel.isActive
    }

    /// The descriptor when a send of `count` pieces may go straight to the socket now, built by the caller
    /// in the thread's iovec scratch (conn_send_vec: no ByteBuffer per piece, no copy of inline bytes).
    func directDescriptor(count: Int) -> CInt? {
        guard count <= Self.chunkBuffers, count <= Int(MR_SHIM_IOV), let descriptor, writesDirectly else { return nil }
        return descriptor
    }

    /// The promise for the last buffer of a write to NIO on a connection that may write directly: direct
    /// writes wait until it completed (NIO completes writes in order, so every earlier one too).
    func nioWritePromise(_ context: ChannelHandlerContext) -> EventLoopPromise<Void>? {
        guard descriptor != nil else { return nil }
        nioWritesInFlight += 1
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.nioWritesInFlight -= 1 }
        return promise
    }

    func sendDirect(descriptor: CInt, count: Int, _ buffer: (Int) -> ByteBuffer?) -> Int32 {
        guard count > 0 else { return Int32(MR_OK) }
        return withUnsafeTemporaryAllocation(of: ByteBuffer.self, capacity: count) { list -> Int32 in
            guard let base = list.baseAddress else { return Int32(MR_OK) }
            var made = 0
            defer { base.deinitialize(count: made) }
            for i in 0..<count {
                guard let b = buffer(i) else { return LastError.fail(MR_ERR_INVALID, "bad buffer at \(i)") }
                (base + i).initialize(to: b)
                made += 1
            }
            let buffers = UnsafeBufferPointer(start: base, count: count)
            switch TcpDirectWrite.write(descriptor: descriptor, buffers) {
            case .sent(let n):
                handOver(count: count, after: n) { buffers[$0] }
            case .failed(let e):
                failDirect(e)
            }
            return Int32(MR_OK)
        }
    }

    /// As NIO does for a failed write: the connection ends with the error.
    func failDirect(_ e: Int32) {
        if errorMessage == nil { errorMessage = "\(IOError(errnoCode: e, reason: "sendmsg"))" }
        channel.close(promise: nil)
    }

    /// Gives NIO what the kernel did not take of the `count` buffers (the first `sent` bytes went out).
    /// `buffer(i)` must not fail (the callers checked every piece before writing any).
    func handOver(count: Int, after sent: Int, _ buffer: (Int) -> ByteBuffer?) {
        var skip = sent
        var first = 0
        while first < count, let b = buffer(first), skip >= b.readableBytes {
            skip -= b.readableBytes
            first += 1
        }
        guard first < count, let context else { return }
        for i in first..<count {
            guard var b = buffer(i) else { continue }
            if i == first { b.moveReaderIndex(forwardBy: skip) }
            context.write(NIOAny(b), promise: i == count - 1 ? nioWritePromise(context) : nil)
        }
        context.flush()
    }
}
