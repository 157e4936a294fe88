import PluginABI

/// The outgoing connection of a pull or push proxy, kept up: after a failure it waits 1 s, then 2, 4, ...
/// up to 30 s, and starts over at 1 s once a connection has streamed (`streaming()`). Each connection gets
/// a fresh handler from `makeHandler`; the handler reports its end with `failed`.
public final class ProxyLink: @unchecked Sendable {
    public let host: PluginHost
    public let label: String
    private let target: (host: String, port: Int, tls: Bool)
    private let loop: Int32
    private let makeHandler: (ProxyLink, OpaquePointer) -> ConnectionHandler?
    private var backoffMs: Int64 = 1000
    private var retry: OpaquePointer?
    private var conn: OpaquePointer?
    private var stopped = false

    public init(host: PluginHost, label: String, connectTo hostName: String, port: Int, tls: Bool = false, loop: Int32 = -1,
                makeHandler: @escaping (ProxyLink, OpaquePointer) -> ConnectionHandler?) {
        self.host = host
        self.label = label
        self.target = (hostName, port, tls)
        self.loop = loop
        self.makeHandler = makeHandler
    }

    public func start() {
        guard !stopped else { return }
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = UInt16(clamping: target.port)
        options.timeout_ms = 5000
        options.loop = loop
        options.tls = target.tls ? 1 : 0
        var cbs = ConnectionBridge.callbacks()
        let factory = LinkFactory(link: self)
        let rc = target.host.withCString { h in
            options.host = h
            return host.table.tcp_connect(host.host, &options, &cbs, Unmanaged.passRetained(factory).toOpaque())
        }
        if rc != MR_OK {
            Unmanaged.passUnretained(factory).release()
            failed("connect failed: \(host.lastError)")
        }
    }

    /// On the connection's loop: the connection ended (or the connect failed); try again later.
    public func failed(_ why: String) {
        conn = nil
        guard !stopped else { return }
        host.log(MR_LOG_WARNING, "\(label): \(why); retrying in \(backoffMs) ms")
        // The pending retry holds the link, so a plugin stop that drops its list cannot free it under the timer.
        retry = host.table.timer_start(host.host, -1, backoffMs, 0, { user, _ in
            guard let user else { return }
            let link = Unmanaged<ProxyLink>.fromOpaque(user).takeRetainedValue()
            link.retry = nil
            link.start()
        }, Unmanaged.passRetained(self).toOpaque())
        backoffMs = min(backoffMs * 2, 30_000)
    }

    /// The connection delivers media: the next failure retries after 1 s again.
    public func streaming() { backoffMs = 1000 }

    /// On the connection's loop: the connection ended without a failure, its proxy going on over other
    /// connections (an HLS pull makes one request per connection); `stop` must not close it again.
    public func connectionEnded() { conn = nil }

    /// Control thread, from the plugin's stop; the host cancels the timer and closes what is left.
    public func stop() {
        stopped = true
        if let conn { host.table.conn_close(conn, 0) }
    }

    fileprivate func opened(_ c: OpaquePointer) -> ConnectionHandler? {
        conn = c
        return makeHandler(self, c)   // nil when the proxy is gone: the bridge closes the connection
    }
}

/// The connect call's `user`: makes the handler on open, or reports a failed connect.
private final class LinkFactory: ConnectionFactory {
    let link: ProxyLink
    init(link: ProxyLink) { self.link = link }

    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? {
        defer { Unmanaged.passUnretained(self).release() }   // the connect's reference, taken in start()
        return link.opened(conn)
    }

    func connectFailed(_ message: String) {
        Unmanaged.passUnretained(self).release()   // the connect's reference, taken in start()
        link.failed(message)
    }
}

public extension PluginHost {
    /// The `pull` and `push` entries of the plugin's table, to tell whether a reload changed them.
    var proxySpecs: [String] { list("pull").map { "pull " + $0 } + list("push").map { "push " + $0 } }

    /// One proxy per `pull` and `push` entry that `make` accepts (`push` true for push entries); an entry it
    /// refuses is logged with the expected form and skipped.
    func makeProxies<P>(expected form: String, _ make: (_ push: Bool, _ spec: String) -> P?) -> [P] {
        var out: [P] = []
        for (push, key) in [(false, "pull"), (true, "push")] {
            for spec in list(key) {
                guard let p = make(push, spec) else {
                    log(MR_LOG_ERROR, "\(key) entry '\(spec)' is not \"\(form)\"; skipped")
                    continue
                }
                out.append(p)
            }
        }
        return out
    }
}
