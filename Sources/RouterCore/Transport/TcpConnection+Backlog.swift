import NIOCore
import PluginABI

/// Large sends go to the socket in bounded chunks.
///
/// NIO queues every buffer of a write in a per-channel ring that grows to the largest number of buffers
/// ever outstanding and never shrinks. A new player is sent its whole GOP at once (a few hundred buffers:
/// each frame is a shared payload plus the player's own rewritten header), most of which waits for the
/// player to read, so every player kept room for that burst for its life: about 10 KB of a 2 Mbit/s
/// stream's player, the largest part of a player's memory. A send of more than `chunkBuffers` buffers (or
/// any send while such a burst drains) is kept here instead, in an array dropped once drained, and is
/// handed to NIO a chunk at a time, each chunk after the previous one reached the socket.
///
/// While the backlog drains the plugin is told the connection is not writable (a player pauses its reader,
/// as it does when NIO's own queue is full), so a slow reader cannot make the backlog grow without bound;
/// it hears "writable" again once the backlog is gone and NIO's queue is below its watermark.
extension TcpConnection {
    /// Buffers per chunk, and the largest send that goes to NIO directly: a frame of the steady state is
    /// two or three buffers, one loop pass of a 100 ms merge about twenty-five. NIO's ring (40 bytes an
    /// entry, a power of two above the most ever queued) then stays at 64 entries where a GOP grew it to 512.
    static let chunkBuffers = 32

    /// Buffers of the backlog not yet handed to NIO.
    private var draining: Bool { backlogNext < backlog.count }

    /// What the host's send calls use: straight to the socket (TcpConnection+Direct.swift) or to NIO in the
    /// steady state, through the backlog for a burst. `buffer(i)` must not fail for a send that goes to the backlog (the callers check first).
    func sendPaced(count: Int, _ buffer: (Int) -> ByteBuffer?) -> Int32 {
        noteSend()
        guard count > Self.chunkBuffers || !backlog.isEmpty else {
            if let descriptor, writesDirectly { return sendDirect(descriptor: descriptor, count: count, buffer) }
            return send(count: count, buffer)
        }
        guard !closed, context != nil else { return LastError.fail(MR_ERR_CLOSED, "connection is closed") }
        for i in 0..<count {
            guard let b = buffer(i) else { return LastError.fail(MR_ERR_INVALID, "bad buffer at \(i)") }
            backlog.append(b)
        }
        if !heldWritability {
            heldWritability = true
            // Not from inside the plugin's own send call: it hears of it from the loop, if the backlog is
            // still there by then (a socket with room takes a burst within the call).
            channel.eventLoop.execute { if self.heldWritability { self.tellWritable(false) } }
        }
        if !chunkInFlight { writeChunk() }
        return Int32(MR_OK)
    }

    private func writeChunk() {
        guard !closed, let context, draining else { return dropBacklog() }
        let end = min(backlog.count, backlogNext + Self.chunkBuffers)
        let written = context.eventLoop.makePromise(of: Void.self)
        for i in backlogNext..<end {
            context.write(NIOAny(backlog[i]), promise: i == end - 1 ? written : nil)
        }
        backlogNext = end
        chunkInFlight = true
        context.flush()
        written.futureResult.whenComplete { _ in
            self.chunkInFlight = false
            if self.draining { self.writeChunk() } else { self.drained() }
        }
    }

    private func drained() {
        dropBacklog()
        if closeWhenDrained {
            closeWhenDrained = false
            return close(abort: false)
        }
        heldWritability = false
        // NIO's own "writable" was held back meanwhile; if it is not writable, NIO says so when it is.
        if channel.isWritable { tellWritable(true) }
    }

    func dropBacklog() {
        backlog = []
        backlogNext = 0
    }

    /// Every writability change the plugin hears goes through here (NIO's and the backlog's), so it hears
    /// each change once and "writable" never before the "not writable" it ends.
    func tellWritable(_ writable: Bool) {
        guard !closed, pluginSeesWritable != writable else { return }
        pluginSeesWritable = writable
        callbacks.onWritable?(user, handle, writable ? 1 : 0)
    }
}
