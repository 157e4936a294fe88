import PluginABI

/// A running proxy of a plugin (RTMP, RTSP or HLS pull or push).
public protocol ManagedProxy: AnyObject {
    var request: ProxyRequest { get }
    /// Starts connecting; called once, on the control thread or a worker (never on a loop, so an RTSP
    /// UDP pull may bind its ports).
    func start()
    /// Any thread, once: no more connections, the current one closes.
    func stop()
}

public extension ManagedProxy {
    var mode: ProxyRequest.Mode { request.mode }
    var app: String { request.app }
    var stream: String { request.stream }
}

/// A plugin's proxies by key: those of its `pull`/`push` lists and those added at run time through its
/// `<plugin>.proxy.*` / `<plugin>.pusher.*` commands, in one table so both follow the same rules (a key
/// is used once). A config reload changes only the config's entries; entries added at run time are kept
/// in memory across a restart of the plugin (not of the process).
public final class ProxyRegistry: @unchecked Sendable {
    public typealias Make = (ProxyRequest) -> ManagedProxy?

    let host: PluginHost
    /// The plugin's table name (its descriptor's name on a host older than 1.3): its command prefix and the
    /// schema of its push keys.
    let name: String
    private let expectedForm: String
    private let make: Make
    private let state = LockedValue<(entries: [String: ProxyEntry], stopped: Bool)>(([:], true))
    private var configSpecs: [String] = []

    public init(host: PluginHost, name: String, expected form: String, make: @escaping Make) {
        self.host = host
        // A second instance (`[rtmp2]` with `path`) owns the `rtmp2.` namespace, not `rtmp.`.
        self.name = host.pluginName ?? name
        self.expectedForm = form
        self.make = make
    }

    public enum AddResult { case added, busy, refused(String), stopped }

    // MARK: lifecycle (control thread)

    /// Starts the config's proxies, then those added at run time before a restart of the plugin.
    public func start() {
        state.withLock { $0.stopped = false }
        configSpecs = currentSpecs
        for r in configRequests() { addLogged(r) }
        for r in RuntimeProxies.saved(name) { addLogged(r.renewed()) }
    }

    /// A reload: the config's entries that went away stop, new ones start; the others go on untouched.
    public func reconfigure() {
        guard currentSpecs != configSpecs else { return }
        configSpecs = currentSpecs
        let wanted = configRequests()
        let wantedIDs = Set(wanted.map { "\($0.key) \($0.url)" })
        let gone = state.withLock { s -> [ProxyEntry] in
            let out = s.entries.values.filter { $0.request.fromConfig && !wantedIDs.contains("\($0.request.key) \($0.request.url)") }
            for e in out { s.entries[e.request.key] = nil }
            return out
        }
        gone.forEach { $0.stopOnce() }
        let kept = state.withLock { Set($0.entries.keys) }
        for r in wanted where !kept.contains(r.key) { addLogged(r) }
    }

    /// The plugin stops: every proxy stops; run-time entries stay saved for its next start.
    public func stop() {
        let all = state.withLock { s -> [ProxyEntry] in
            s.stopped = true
            defer { s.entries.removeAll() }
            return Array(s.entries.values)
        }
        all.forEach { $0.stopOnce() }
    }

    // MARK: run time (any thread)

    /// Adds and starts a proxy; a key in use is refused unless its proxy gave up (then it is replaced).
    public func add(_ r: ProxyRequest) -> AddResult {
        guard let proxy = make(r) else { return .refused("'\(r.url)' is not \(expectedForm)") }
        let entry = ProxyEntry(request: r, proxy: proxy)
        var replaced: ProxyEntry?
        let ok = state.withLock { s -> AddResult in
            if s.stopped { return .stopped }
            if let old = s.entries[r.key] {
                guard old.request.current.state == .failed else { return .busy }
                replaced = old
            }
            s.entries[r.key] = entry
            return .added
        }
        guard case .added = ok else { return ok }
        replaced?.stopOnce()
        if !r.fromConfig { RuntimeProxies.save(name, r) }
        // Off the loop: an RTSP UDP pull binds its ports, which loops may not do.
        if host.currentLoop < 0 || !host.onWorker({ entry.launch() }) { entry.launch() }
        return .added
    }

    /// Stops and forgets a proxy (a config entry comes back with the next restart of the plugin).
    public func remove(key: String) -> Bool {
        guard let e = state.withLock({ s in s.entries.removeValue(forKey: key) }) else { return false }
        RuntimeProxies.forget(name, key: key)
        e.stopOnce()
        return true
    }

    public func list(mode: ProxyRequest.Mode, key: String? = nil) -> [[String: Any]] {
        let now = host.table.now_us()
        return state.withLock { s in s.entries.values.map(\.request) }
            .filter { $0.mode == mode && (key == nil || $0.key == key) }
            .sorted { $0.key < $1.key }
            .map { r in var d = r.describe(nowUs: now); d["plugin"] = name; return d }
    }

    // MARK: config entries

    private var currentSpecs: [String] { host.list("pull").map { "pull " + $0 } + host.list("push").map { "push " + $0 } }

    private func configRequests() -> [ProxyRequest] {
        var out: [ProxyRequest] = []
        for (mode, listKey) in [(ProxyRequest.Mode.pull, "pull"), (.push, "push")] {
            for spec in host.list(listKey) {
                guard let p = ProxySpec(spec) else {
                    host.log(MR_LOG_ERROR, "\(listKey) entry '\(spec)' is not \"app/stream=\(expectedForm)\"; skipped")
                    continue
                }
                out.append(ProxyRequest(mode: mode, vhost: nil, app: p.app, stream: p.stream, url: p.url, fromConfig: true, schema: name))
            }
        }
        return out
    }

    private func addLogged(_ r: ProxyRequest) {
        switch add(r) {
        case .added, .stopped: break
        case .busy:
            host.log(MR_LOG_ERROR, "\(r.mode) \(r.key) <- \(r.url): the key is already used by another proxy; skipped")
            if !r.fromConfig { RuntimeProxies.forget(name, key: r.key) }
        case .refused(let why): host.log(MR_LOG_ERROR, "\(r.mode) entry \(r.app)/\(r.stream)=\(r.url): \(why); skipped")
        }
    }
}

/// A registered proxy: started once and stopped once, whichever thread asks first; a stop asked while
/// the start runs (on a worker) is done by the starter right after.
final class ProxyEntry: @unchecked Sendable {
    enum Phase { case idle, starting, running, stopped }
    let request: ProxyRequest
    let proxy: ManagedProxy
    private let phase = LockedValue<(phase: Phase, stopWanted: Bool)>((.idle, false))

    init(request: ProxyRequest, proxy: ManagedProxy) {
        self.request = request
        self.proxy = proxy
    }

    func launch() {
        guard phase.withLock({ p -> Bool in
            guard p.phase == .idle else { return false }
            p.phase = .starting
            return true
        }) else { return }
        proxy.start()
        let stopNow = phase.withLock { p -> Bool in
            p.phase = p.stopWanted ? .stopped : .running
            return p.stopWanted
        }
        if stopNow { proxy.stop() }
    }

    func stopOnce() {
        let stopNow = phase.withLock { p -> Bool in
            switch p.phase {
            case .starting: p.stopWanted = true; return false
            case .stopped: return false
            case .idle: p.phase = .stopped; return false
            case .running: p.phase = .stopped; return true
            }
        }
        if stopNow { proxy.stop() }
    }
}

/// Run-time entries by plugin, outside the plugin object: a restart makes a new object, and the library
/// stays loaded (RTLD_NODELETE), so this survives it.
enum RuntimeProxies {
    private static let table = LockedValue<[String: [String: ProxyRequest]]>([:])

    static func saved(_ plugin: String) -> [ProxyRequest] { table.withLock { Array(($0[plugin] ?? [:]).values) } }
    static func save(_ plugin: String, _ r: ProxyRequest) { table.withLock { $0[plugin, default: [:]][r.key] = r } }
    static func forget(_ plugin: String, key: String) { table.withLock { _ = $0[plugin]?.removeValue(forKey: key) } }
}
