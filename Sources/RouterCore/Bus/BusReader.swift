import Atomics
import NIOCore
import PluginABI

/// One subscription. After it is attached, every field is confined to the loop that receives its callbacks.
public final class BusReader: @unchecked Sendable {
    public let id: UInt64
    public let key: StreamKey
    public let format: String?
    public let loopIndex: Int
    public let loop: EventLoop
    public let protocolName: String
    public let peer: String
    let maxLag: Int
    let callbacks: ReaderCallbacks
    weak var owner: HostContext?

    var cursor: UInt64 = 0
    var paused = false
    var waitingForKey = false
    var pendingDiscontinuity = false
    /// Skipped (and said so) during the current pause; cleared at the first delivery after it.
    var skippedWhilePaused = false
    var pendingHeader: MediaBuffer?
    var closed = false
    var attached = false
    /// Read by lists on other threads, hence atomic.
    let skippedCount = ManagedAtomic<Int64>(0)
    let deliveredCount = ManagedAtomic<Int64>(0)
    /// [reader's loop] Payload bytes handed to the reader; a plain add on the fan-out path (an atomic per
    /// delivery cost a third of a delivery's price at 10,000 readers).
    var bytesDelivered: Int64 = 0
    /// [reader's loop] The ring's running byte total at the reader's cursor, and that cursor.
    var bytesMark: Int64 = 0
    var bytesMarkSeq: UInt64 = .max
    /// `bytesDelivered` published when the reader leaves, for the stop event raised on another loop.
    let bytesAtLeave = ManagedAtomic<Int64>(0)
    var tracks: [TrackInfo] = []
    weak var mirror: LoopMirror?
    /// Set while waiting for the stream to be published (play before publish).
    var waitTimer: Scheduled<Void>?
    let createdAt = NIODeadline.now()

    init(id: UInt64, key: StreamKey, format: String?, loopIndex: Int, loop: EventLoop, protocolName: String,
         peer: String, maxLag: Int, callbacks: ReaderCallbacks, owner: HostContext?) {
        self.id = id
        self.key = key
        self.format = format
        self.loopIndex = loopIndex
        self.loop = loop
        self.protocolName = protocolName
        self.peer = peer
        self.maxLag = max(maxLag, 1)
        self.callbacks = callbacks
        self.owner = owner
        LiveObjects.created(.reader)
    }

    deinit { LiveObjects.destroyed(.reader) }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> BusReader? {
        guard let handle else { return nil }
        return Unmanaged<BusReader>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    public var isOpen: Bool { !closed }
    public var skippedFrames: Int64 { skippedCount.load(ordering: .relaxed) }

    public func describe() -> [String: Any] {
        ["id": id, "vhost": key.vhost, "app": key.app, "stream": key.stream, "protocol": protocolName,
         "peer": peer, "loop": loopIndex, "format": format ?? "frames",
         "skipped": skippedCount.load(ordering: .relaxed), "delivered": deliveredCount.load(ordering: .relaxed)]
    }

    func emit(_ event: mr_reader_event, _ detail: Int64 = 0) {
        callbacks.onEvent(callbacks.user, handle, Int32(bitPattern: event.rawValue), detail)
    }
}
