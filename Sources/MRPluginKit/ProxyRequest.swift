import PluginABI

/// One pull or push proxy as the config or the management API asked for it, with the live status its
/// link keeps up to date (read by `<plugin>.proxy.list` on any thread).
public final class ProxyRequest: @unchecked Sendable {
    public enum Mode: String, Sendable { case pull, push }
    public enum State: String, Sendable { case connecting, online, retrying, failed, stopped }

    public struct Status: Sendable {
        public var state = State.connecting
        /// Connections that failed and were retried.
        public var reconnects = 0
        public var lastError = ""
        /// `now_us` when it last went online; 0 while not online.
        public var onlineSinceUs: Int64 = 0
    }

    public static let defaultVhost = "__defaultVhost__"

    public let mode: Mode
    public let vhost: String
    public let app: String
    public let stream: String
    public let url: String
    /// Failures in a row retried before giving up; -1 retries forever (ZLMediaKit's default).
    public let retryCount: Int
    /// Connect timeout.
    public let timeoutMs: Int
    /// RTSP pulls: "tcp" or "udp" instead of the plugin's pull_transport (ZLMediaKit's rtp_type 0/1).
    public let transport: String?
    public let fromConfig: Bool
    /// ZLMediaKit's key: "vhost/app/stream" for a pull, "schema/vhost/app/stream/<hash of url>" for a push.
    public let key: String
    private let status = LockedValue(Status())

    public init(mode: Mode, vhost: String?, app: String, stream: String, url: String, retryCount: Int = -1, timeoutMs: Int = 5000,
                transport: String? = nil, fromConfig: Bool, schema: String) {
        let v = (vhost ?? "").isEmpty ? Self.defaultVhost : (vhost ?? Self.defaultVhost)
        self.mode = mode
        self.vhost = v
        self.app = app
        self.stream = stream
        self.url = url
        self.retryCount = retryCount
        self.timeoutMs = max(500, timeoutMs)
        self.transport = transport
        self.fromConfig = fromConfig
        key = mode == .pull ? "\(v)/\(app)/\(stream)" : "\(schema)/\(v)/\(app)/\(stream)/\(TextHash.hex(url))"
    }

    /// The same proxy with a fresh status, for a plugin that starts again.
    func renewed() -> ProxyRequest { ProxyRequest(copying: self) }

    private init(copying r: ProxyRequest) {
        (mode, vhost, app, stream, url, key) = (r.mode, r.vhost, r.app, r.stream, r.url, r.key)
        (retryCount, timeoutMs, transport, fromConfig) = (r.retryCount, r.timeoutMs, r.transport, r.fromConfig)
    }

    /// "pull app/stream <- url" or "push app/stream -> url", for logs; `url` without credentials.
    public func label(url shown: String) -> String {
        "\(mode) \(app)/\(stream) \(mode == .pull ? "<-" : "->") \(shown)"
    }

    /// The vhost as the stream functions take it (nil for the default one).
    public var busVhost: String? { vhost == Self.defaultVhost ? nil : vhost }

    public var current: Status { status.withLock { $0 } }
    /// Any thread: a proxy that runs its own connection (not through ProxyLink) reports its state here.
    public func update(_ change: (inout Status) -> Void) { status.withLock(change) }

    /// The list item of `<plugin>.proxy.list`.
    func describe(nowUs: Int64) -> [String: Any] {
        let s = current
        return ["key": key, "mode": mode.rawValue, "vhost": vhost, "app": app, "stream": stream, "url": url,
                "state": s.state.rawValue, "online": s.state == .online, "reconnects": s.reconnects, "last_error": s.lastError,
                "live_secs": s.onlineSinceUs > 0 ? Int((nowUs - s.onlineSinceUs) / 1_000_000) : 0,
                "retry_count": retryCount, "timeout_sec": Double(timeoutMs) / 1000, "from_config": fromConfig]
    }
}
