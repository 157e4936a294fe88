#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

public enum BusError: Error, CustomStringConvertible {
    case busy(StreamKey)
    case invalid(String)
    public var description: String {
        switch self {
        case .busy(let key): return "stream \(key) is already being published"
        case .invalid(let why): return why
        }
    }
}

/// The registry of sources and of readers waiting for one. Registry changes take a lock (they are rare);
/// frames never do.
public final class StreamBus: @unchecked Sendable {
    public let pollers: Pollers
    public let events: EventHub
    let logger: Logger
    private let settingsBox: NIOLockedValueBox<BusSettings>
    private let lock = NIOLock()
    private var sources: [StreamKey: Source] = [:]
    private var waiting: [StreamKey: [Waiter]] = [:]
    let ids = ManagedAtomicCounter()

    private struct Waiter {
        let reader: BusReader
        let muxer: MuxerSpec?
    }

    public init(pollers: Pollers, settings: BusSettings, logger: Logger) {
        self.pollers = pollers
        self.settingsBox = NIOLockedValueBox(settings)
        self.logger = logger
        self.events = EventHub(loop: pollers.loop(0), logger: logger)
    }

    /// Settings apply to sources and readers created after a change.
    public var settings: BusSettings {
        get { settingsBox.withLockedValue { $0 } }
        set { settingsBox.withLockedValue { $0 = newValue } }
    }

    // MARK: publishing

    func openSource(key: StreamKey, owner: HostContext?, protocolName: String, peer: String, takeover: Bool,
                    loopIndex: Int) throws -> Publisher {
        let (publisher, resumed, kicked): (Publisher, Bool, Publisher?) = try lock.withLock {
            if let existing = sources[key] {
                let previous = existing.publisher
                if previous != nil && !takeover { throw BusError.busy(key) }
                let p = Publisher(source: existing, owner: owner, protocolName: protocolName, peer: peer)
                previous?.kicked.store(true, ordering: .relaxed)
                existing.publisher = p
                existing.generation += 1
                return (p, true, previous)
            }
            let source = Source(key: key, homeIndex: loopIndex, bus: self)
            let p = Publisher(source: source, owner: owner, protocolName: protocolName, peer: peer)
            source.publisher = p
            sources[key] = source
            return (p, false, nil)
        }
        if resumed {
            publisher.source.clockRefs.clearAll()
            if let kicked { publisher.source.keyframes.clear(publisher: kicked) }
            if kicked != nil {
                logger.notice("stream \(key): publisher \(kicked?.peer ?? "") replaced by \(peer) (\(protocolName))")
            } else {
                logger.info("stream \(key): publisher \(peer) (\(protocolName)) resumes within the reconnect window")
            }
            publisher.onHome { publisher.source.resume() }
        }
        return publisher
    }

    func publisherReady(_ publisher: Publisher) {
        let source = publisher.source
        let tracks = publisher.tracks
        publisher.onHome {
            source.becomeReady(tracks: tracks, protocolName: publisher.protocolName, peer: publisher.peer)
            let waiters: [Waiter] = self.lock.withLock {
                let wasReady = source.isReady
                source.isReady = true
                _ = wasReady
                return self.sources[source.key] === source ? (self.waiting.removeValue(forKey: source.key) ?? []) : []
            }
            self.events.emit(BusEvent(type: MR_EVENT_PUBLISH, key: source.key, protocolName: publisher.protocolName,
                                      peer: publisher.peer))
            for w in waiters {
                w.reader.waitTimer?.cancel()
                source.join(w.reader, format: w.reader.format, muxer: w.muxer)
            }
        }
    }

    func publisherClosed(_ publisher: Publisher) {
        let source = publisher.source
        source.keyframes.clear(publisher: publisher)
        let defaultWindow = settings.reconnectWindowMs
        let (endNow, window): (Bool, Int) = lock.withLock {
            let window = source.reconnectWindowMs ?? defaultWindow
            guard sources[source.key] === source, source.publisher === publisher else { return (false, 0) }
            source.publisher = nil
            if window > 0 && source.isReady { return (false, window) }
            sources.removeValue(forKey: source.key)
            return (true, window)
        }
        if endNow {
            finish(source)
            return
        }
        guard window > 0 else { return }
        let generation = lock.withLock { source.generation }
        source.home.scheduleTask(in: .milliseconds(Int64(window))) {
            let expired: Bool = self.lock.withLock {
                guard self.sources[source.key] === source, source.publisher == nil,
                      source.generation == generation else { return false }
                self.sources.removeValue(forKey: source.key)
                return true
            }
            if expired {
                self.logger.info("stream \(source.key): publisher did not return within \(window) ms")
                self.finish(source)
            }
        }
    }

    /// Ends a stream now (the management API's close_stream): its publisher is refused from here on (its
    /// plugin sees MR_ERR_CLOSED on the next write and drops the client), its readers get ENDED, and the
    /// reconnect window is skipped. False if no such stream.
    @discardableResult
    public func closeStream(_ key: StreamKey) -> Bool {
        let source: Source? = lock.withLock {
            guard let s = sources.removeValue(forKey: key) else { return nil }
            s.publisher?.kicked.store(true, ordering: .relaxed)
            s.publisher = nil
            s.generation += 1
            return s
        }
        guard let source else { return false }
        logger.notice("stream \(key): closed by the management API")
        finish(source)
        return true
    }

    /// Gives one live stream its own reconnect window (ms; 0 ends it as soon as its publisher leaves), in
    /// place of `[server] reconnect_window_ms`, for as long as the stream lives; nil goes back to that.
    /// False if no such stream.
    @discardableResult
    public func setReconnectWindow(_ key: StreamKey, ms: Int?) -> Bool {
        lock.withLock {
            guard let s = sources[key] else { return false }
            s.reconnectWindowMs = ms.map { max(0, $0) }
            return true
        }
    }

    /// Readers of a stream by protocol, for listings and metrics.
    public func readerCounts() -> [String: Int] {
        var out: [String: Int] = [:]
        for r in readerList where !r.closed { out[r.protocolName, default: 0] += 1 }
        return out
    }

    private func finish(_ source: Source) {
        source.home.execute {
            source.end()
            self.events.emit(BusEvent(type: MR_EVENT_UNPUBLISH, key: source.key, protocolName: source.protocolName,
                                      peer: source.peer))
        }
    }

    // MARK: reading

    func openReader(_ reader: BusReader, muxer: MuxerSpec?, waitMs: Int) {
        register(reader)
        let source: Source? = lock.withLock {
            if let s = sources[reader.key], s.isReady { return s }
            // Set under the lock, before the waiter is visible: publisherReady reads it on the source's loop
            // once it has taken the waiter out (TSan saw the write race that read when it came after).
            reader.waitTimer = reader.loop.scheduleTask(in: .milliseconds(Int64(max(waitMs, 0)))) {
                self.waitExpired(reader)
            }
            waiting[reader.key, default: []].append(Waiter(reader: reader, muxer: muxer))
            return nil
        }
        if let source {
            source.home.execute { source.join(reader, format: reader.format, muxer: muxer) }
            return
        }
        events.emit(BusEvent(type: MR_EVENT_NOT_FOUND, key: reader.key, protocolName: reader.protocolName,
                             peer: reader.peer))
    }

    private func waitExpired(_ reader: BusReader) {
        let removed: Bool = lock.withLock {
            guard var list = waiting[reader.key], let i = list.firstIndex(where: { $0.reader === reader }) else { return false }
            list.remove(at: i)
            waiting[reader.key] = list.isEmpty ? nil : list
            return true
        }
        guard removed, !reader.closed else { return }
        reader.emit(MR_READER_NOT_FOUND)
        reader.closed = true
        reader.emit(MR_READER_CLOSED)
        unregister(reader)
    }

    /// Closes a reader at its owner's request, on the reader's loop. No callback follows.
    func closeReader(_ reader: BusReader) {
        guard !reader.closed else { return }
        reader.closed = true
        reader.waitTimer?.cancel()
        unregister(reader)
        if reader.attached, let mirror = reader.mirror {
            mirror.detach(reader)
        } else {
            lock.withLock {
                if var list = waiting[reader.key] {
                    list.removeAll { $0.reader === reader }
                    waiting[reader.key] = list.isEmpty ? nil : list
                }
            }
            // A join may be in flight to a mirror: the mirror sees `closed` and detaches it.
        }
    }

    /// Refuses a reader that could not be attached (on its loop).
    func refuse(_ reader: BusReader, reason: String) {
        logger.warning("reader \(reader.id) of \(reader.key) refused: \(reason)")
        guard !reader.closed else { return }
        reader.emit(MR_READER_NOT_FOUND)
        reader.closed = true
        reader.emit(MR_READER_CLOSED)
        unregister(reader)
    }

    // MARK: plugin stop

    /// Ends the sources a stopping plugin published (no reconnect window: the plugin is gone) and the
    /// derived rings whose muxer it owns.
    func dropAll(ownedBy owner: HostContext) {
        let (owned, all): ([Source], [Source]) = lock.withLock {
            let owned = sources.values.filter { $0.publisher?.owner === owner }
            for s in owned {
                s.keyframes.clearAll()
                s.publisher = nil
                sources.removeValue(forKey: s.key)
            }
            return (owned, Array(sources.values))
        }
        for s in owned { finish(s) }
        for s in all { s.home.execute { s.dropDerived(ownedBy: owner) } }
    }

    // MARK: introspection

    public var sourceList: [Source] { lock.withLock { Array(sources.values) } }

    public func source(_ key: StreamKey) -> Source? { lock.withLock { sources[key] } }

    /// False inside the reconnect window, while the source waits for its publisher to return.
    func hasPublisher(_ source: Source) -> Bool { lock.withLock { source.publisher != nil } }

    public var waitingCount: Int { lock.withLock { waiting.values.reduce(0) { $0 + $1.count } } }

    public func describeStreams() -> [[String: Any]] {
        sourceList.map { $0.describe() }
            .sorted { "\($0["app"] ?? "")/\($0["stream"] ?? "")" < "\($1["app"] ?? "")/\($1["stream"] ?? "")" }
    }

    public func describeReaders(_ key: StreamKey) -> [[String: Any]]? {
        guard source(key) != nil else { return nil }
        return readerList.filter { $0.key == key }.map { $0.describe() }
    }

    // MARK: reader registry

    private var readers: [UInt64: BusReader] = [:]

    func register(_ reader: BusReader) { lock.withLock { readers[reader.id] = reader } }
    func unregister(_ reader: BusReader) { _ = lock.withLock { readers.removeValue(forKey: reader.id) } }
    public var readerList: [BusReader] { lock.withLock { Array(readers.values) } }
    func readers(ownedBy owner: HostContext) -> [BusReader] { lock.withLock { readers.values.filter { $0.owner === owner } } }
}
