#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// One loaded plugin instance, behind the `mr_host *` every host call receives. It knows everything the
/// plugin created, so a stopping plugin leaves nothing behind even if it forgot to close things.
public final class HostContext: @unchecked Sendable {
    public let name: String
    /// `name` for `plugin_name` (ABI 1.3): a C string that lives as long as the context.
    let cName: UnsafeMutablePointer<CChar>?
    let descriptor: PluginDescriptor
    let path: String
    unowned let core: CoreServices
    let logger: Logger
    /// False once the plugin is stopping: queued tasks and timers of the plugin no longer run.
    let alive = ManagedAtomic<Bool>(true)
    /// Worker jobs queued or running, waited for before the plugin is destroyed.
    let workerJobs = ManagedAtomic<Int>(0)
    var state: UnsafeMutableRawPointer?

    private let lock = NIOLock()
    /// The caps on the connections this plugin's listeners accept.
    let admission = ConnectionAdmission()
    private var config: [String: ConfigValue]
    private var strings = CStringPool()
    private var previousStrings: CStringPool?
    private var listeners: [ObjectIdentifier: TcpListener] = [:]
    private var connections: [UInt64: TcpConnection] = [:]
    private var udpSockets: [ObjectIdentifier: UdpSocket] = [:]
    private var timers: [ObjectIdentifier: PluginTimer] = [:]
    private var publishers: [ObjectIdentifier: Publisher] = [:]
    private var subscriptions: [Int64] = []
    private var stats: [String: Int64] = [:]

    init(name: String, descriptor: PluginDescriptor, path: String, config: [String: ConfigValue], core: CoreServices) {
        self.name = name
        self.cName = strdup(name)
        self.descriptor = descriptor
        self.path = path
        self.config = config
        self.core = core
        var logger = core.logger
        logger[metadataKey: "plugin"] = "\(name)"
        self.logger = logger
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    deinit { free(cName) }

    static func from(_ handle: OpaquePointer?) -> HostContext? {
        guard let handle else { return nil }
        return Unmanaged<HostContext>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    // MARK: config

    func configValue(_ key: String) -> ConfigValue? { lock.withLock { ConfigValue.lookup(key, in: config) } }

    /// An integer key of this plugin's table, 0 when unset (checked when the config was read).
    func configInt(_ key: String) -> Int {
        if case .int(let v)? = configValue(key) { return Int(v) }
        return 0
    }

    func intern(_ s: String) -> UnsafePointer<CChar> { lock.withLock { strings }.intern(s) }

    /// New values for reconfigure: strings handed out before stay valid until the next replacement.
    func replaceConfig(_ table: [String: ConfigValue]) {
        lock.withLock {
            config = table
            previousStrings = strings
            strings = CStringPool()
        }
    }

    // MARK: resources

    func track(_ l: TcpListener) { lock.withLock { listeners[ObjectIdentifier(l)] = l } }
    func forget(_ l: TcpListener) { _ = lock.withLock { listeners.removeValue(forKey: ObjectIdentifier(l)) } }
    func track(_ c: TcpConnection) { lock.withLock { connections[c.id] = c } }
    func forget(_ c: TcpConnection) { _ = lock.withLock { connections.removeValue(forKey: c.id) } }
    func track(_ u: UdpSocket) { lock.withLock { udpSockets[ObjectIdentifier(u)] = u } }
    func forget(_ u: UdpSocket) { _ = lock.withLock { udpSockets.removeValue(forKey: ObjectIdentifier(u)) } }
    func track(_ t: PluginTimer) { lock.withLock { timers[ObjectIdentifier(t)] = t } }
    func forget(_ t: PluginTimer) { _ = lock.withLock { timers.removeValue(forKey: ObjectIdentifier(t)) } }
    func track(_ p: Publisher) { lock.withLock { publishers[ObjectIdentifier(p)] = p } }
    func forget(_ p: Publisher) { _ = lock.withLock { publishers.removeValue(forKey: ObjectIdentifier(p)) } }
    func track(subscription id: Int64) { lock.withLock { subscriptions.append(id) } }
    func forget(subscription id: Int64) { lock.withLock { subscriptions.removeAll { $0 == id } } }

    var connectionCount: Int { lock.withLock { connections.count } }

    /// Open TCP connections of this plugin, for the management API.
    var sessionList: [SessionInfo] {
        lock.withLock { Array(connections.values) }.filter { !$0.closed }.map {
            SessionInfo(id: $0.id, plugin: name, peer: $0.channel.remoteAddress, local: $0.channel.localAddress)
        }
    }

    /// Closes one connection of this plugin; false if it has none with that id.
    func kick(_ id: UInt64) -> Bool {
        guard let c = lock.withLock({ connections[id] }) else { return false }
        c.channel.eventLoop.execute { c.close(abort: false) }
        return true
    }
    var listenerPorts: [Int] { lock.withLock { listeners.values.map { Int($0.port) }.sorted() } }

    // MARK: stats

    func statAdd(_ name: String, _ delta: Int64) { lock.withLock { stats[name, default: 0] += delta } }
    func statSet(_ name: String, _ value: Int64) { lock.withLock { stats[name] = value } }
    var statsSnapshot: [String: Int64] { lock.withLock { stats } }

    // MARK: teardown

    /// Closes everything the plugin still holds and waits until no callback of it can run any more.
    /// Control thread; called after the plugin's own `stop`.
    func releaseAll() {
        // Tasks the plugin queued in `stop` (closing sessions on their loops) still run...
        for loop in core.pollers.loops { _ = try? loop.submit {}.wait() }
        // ...then nothing of the plugin's is started any more.
        alive.store(false, ordering: .relaxed)
        let (ls, cs, us, ts, ps, subs) = lock.withLock {
            (Array(listeners.values), Array(connections.values), Array(udpSockets.values), Array(timers.values),
             Array(publishers.values), subscriptions)
        }
        for l in ls { l.close() }
        for id in subs { core.bus.events.unsubscribe(id) }
        core.bus.events.unsubscribeAll(owner: self)
        core.router.removeAll(ownedBy: self)
        core.auth.removeHandler(ownedBy: self)
        core.commands.removeAll(ownedBy: self)
        var waits: [EventLoopFuture<Void>] = []
        for c in cs { waits.append(c.shutdown()) }
        for u in us { waits.append(u.shutdown()) }
        for t in ts { waits.append(t.loop.submit { t.cancel() }) }
        for r in core.bus.readers(ownedBy: self) {
            waits.append(r.loop.submit {
                guard !r.closed else { return }
                self.core.bus.closeReader(r)
                r.emit(MR_READER_CLOSED)
            })
        }
        for p in ps { p.closed = true }
        core.bus.dropAll(ownedBy: self)
        for w in waits { _ = try? w.wait() }
        // A barrier on every loop: tasks queued before this point (frames, events, muxing) have run.
        // Worker jobs may block for a while; destroy must not overlap them.
        var waited = 0
        while workerJobs.load(ordering: .relaxed) > 0 && waited < 30_000 {
            usleep(1000)
            waited += 1
        }
        if waited >= 30_000 { logger.error("plugin \(name): worker jobs still running after 30 s; destroying anyway") }
        // Twice, since a task may queue one more hop (a source ending tells its mirrors).
        for _ in 0..<2 { for loop in core.pollers.loops { _ = try? loop.submit {}.wait() } }
        lock.withLock {
            listeners.removeAll()
            connections.removeAll()
            udpSockets.removeAll()
            timers.removeAll()
            publishers.removeAll()
            subscriptions.removeAll()
        }
    }
}
