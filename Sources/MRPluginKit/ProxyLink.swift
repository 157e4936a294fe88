import PluginABI

/// The connection side of a proxy: builds the handler of each new connection (pull or push session).
public protocol ProxyConnectionMaker: AnyObject {
    /// On the new connection's loop; nil closes the connection (the proxy is going away).
    func makeHandler(_ link: ProxyLink, _ conn: OpaquePointer) -> ConnectionHandler?
}

/// The outgoing connection of a pull or push proxy, kept up: after a failure it waits 1 s, then 2, 4, ...
/// up to 30 s, and starts over at 1 s once a connection has streamed (`streaming()`). After
/// `request.retryCount` failures in a row (when not -1) it gives up. Each connection gets a fresh handler
/// from `maker`; the handler reports its end with `failed`.
public final class ProxyLink: @unchecked Sendable {
    /// The config key (in each proxying plugin's table) that turns on certificate checks for rtmps, rtsps
    /// and https proxies. Off by default, as in ffmpeg: cameras and origins mostly have self-signed ones.
    public static let tlsVerifyKey = "proxy_tls_verify"
    public static let tlsVerifyConfigKey: (String, mr_config_type, String) =
        (tlsVerifyKey, MR_CONFIG_BOOL, "verify the certificates of rtmps/rtsps/https servers that pulls and pushes reach "
            + "(system CA store, name checked; default false)")

    /// Whether a proxy of `host` checks the certificate of a TLS server (read at each connect).
    public static func verifiesTls(_ host: PluginHost) -> Bool { host.bool(tlsVerifyKey, default: false) }

    public let host: PluginHost
    public let request: ProxyRequest
    public let label: String
    /// Weak: the proxy owns its link, and a pending retry timer must not keep the proxy alive.
    public weak var maker: ProxyConnectionMaker?
    private let target: (host: String, port: Int, tls: Bool)
    private let loop: Int32
    /// [the current connection's loop] One connection at a time touches these.
    private var backoffMs: Int64 = 1000
    private var failuresInARow = 0
    /// Read by `stop` from other threads.
    private let shared = LockedValue<(conn: OpaquePointer?, connLoop: Int32, stopped: Bool)>((nil, -1, false))

    public init(host: PluginHost, request: ProxyRequest, label: String, connectTo hostName: String, port: Int, tls: Bool = false,
                loop: Int32 = -1) {
        self.host = host
        self.request = request
        self.label = label
        self.target = (hostName, port, tls)
        self.loop = loop
    }

    public func start() {
        guard !shared.withLock({ $0.stopped }) else { return }
        request.update { if $0.state != .retrying { $0.state = .connecting } }
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = UInt16(clamping: target.port)
        options.timeout_ms = Int32(clamping: request.timeoutMs)
        options.loop = loop
        options.tls = target.tls ? 1 : 0
        options.tls_verify = target.tls && Self.verifiesTls(host) ? 1 : 0
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
        let stopped = shared.withLock { s -> Bool in
            s.conn = nil
            return s.stopped
        }
        guard !stopped else { return }
        failuresInARow += 1
        if request.retryCount >= 0, failuresInARow > request.retryCount {
            request.update { $0.state = .failed; $0.lastError = why; $0.onlineSinceUs = 0 }
            host.log(MR_LOG_ERROR, "\(label): \(why); giving up after \(failuresInARow) failed attempts (retry_count \(request.retryCount))")
            return
        }
        request.update { $0.state = .retrying; $0.reconnects += 1; $0.lastError = why; $0.onlineSinceUs = 0 }
        host.log(MR_LOG_WARNING, "\(label): \(why); retrying in \(backoffMs) ms")
        // The pending retry holds the link, so a plugin stop that drops its list cannot free it under the timer.
        _ = host.table.timer_start(host.host, -1, backoffMs, 0, { user, _ in
            guard let user else { return }
            Unmanaged<ProxyLink>.fromOpaque(user).takeRetainedValue().start()
        }, Unmanaged.passRetained(self).toOpaque())
        backoffMs = min(backoffMs * 2, 30_000)
    }

    /// The remote end accepted the play or publish: the proxy is online and its failure count starts over.
    public func online() {
        failuresInARow = 0
        let now = host.table.now_us()
        request.update { s in
            if s.state != .online { s.onlineSinceUs = now }
            s.state = .online
        }
    }

    /// The connection delivers media: online, and the next failure retries after 1 s again.
    public func streaming() {
        backoffMs = 1000
        online()
    }

    /// On the connection's loop: the connection ended without a failure, its proxy going on over other
    /// connections (an HLS pull makes one request per connection); `stop` must not close it again.
    public func connectionEnded() { shared.withLock { $0.conn = nil } }

    /// Any thread: no more connections; the open one is closed on its loop, where its on_close cannot be
    /// running meanwhile (the host cancels a pending retry when the plugin stops; otherwise it finds the
    /// link stopped).
    public func stop() {
        let (conn, connLoop) = shared.withLock { s -> (OpaquePointer?, Int32) in
            s.stopped = true
            return (s.conn, s.connLoop)
        }
        request.update { $0.state = .stopped; $0.onlineSinceUs = 0 }
        guard conn != nil else { return }
        if host.currentLoop == Int(connLoop) { return closeIfCurrent(conn) }
        host.onLoop(connLoop) { [self] in closeIfCurrent(conn) }
    }

    /// On the connection's loop: closes `conn` unless it already ended (its handle is then invalid).
    fileprivate func closeIfCurrent(_ conn: OpaquePointer?) {
        guard let conn, shared.withLock({ $0.conn }) == conn else { return }
        host.table.conn_close(conn, 0)
    }

    fileprivate func opened(_ c: OpaquePointer) -> ConnectionHandler? {
        let loop = host.table.conn_loop(c)
        let stopped = shared.withLock { s -> Bool in
            if !s.stopped { (s.conn, s.connLoop) = (c, loop) }
            return s.stopped
        }
        // nil: the bridge closes the connection, whose handle `stop` must then not touch.
        guard !stopped, let handler = maker?.makeHandler(self, c) else {
            shared.withLock { s in if s.conn == c { s.conn = nil } }
            return nil
        }
        return handler
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
