import EssentialsExtras
/// The `[api]` table: ZLMediaKit-compatible management API.
public struct ApiSettings: Equatable, Sendable {
    /// Required as `secret=` by every endpoint (ZLMediaKit's `api.secret`); empty = no secret.
    public var secret = ""
    /// Loopback clients need no secret (ZLMediaKit's behaviour).
    public var loopbackExempt = true
    /// ZLMediaKit's `general.mediaServerId`, sent in hooks and shown by the API.
    public var mediaServerId = "mediarouter"
    /// Larger request bodies are refused (JSON or form parameters never need more).
    public var maxBodyBytes = 1 << 20
    /// Where `getSnap` keeps its JPEGs.
    public var snapRoot = "./snap"
    /// A picture answered when getSnap fails (ZLMediaKit's `api.defaultSnap`); empty: the error envelope.
    public var defaultSnap = ""

    public init() {}

    public static let keys: [(name: String, type: String, help: String)] = [
        ("secret", "string", "the secret every API call must carry (secret=...); empty: none"),
        ("loopback_exempt", "boolean", "callers on 127.0.0.1/::1 need no secret (default true)"),
        ("media_server_id", "string", "this server's id in hooks and API answers (ZLMediaKit's general.mediaServerId)"),
        ("max_body_bytes", "integer", "largest request body accepted (default 1 MiB)"),
        ("snap_root", "string", "where getSnap caches its JPEGs (default ./snap)"),
        ("default_snap", "string", "a JPEG or PNG file answered when getSnap fails (ZLMediaKit's defaultSnap); empty: the error envelope"),
    ]

    static func parse(_ table: [String: ConfigValue], document: ConfigDocument, warn: (String) -> Void) throws(ConfigError) -> ApiSettings {
        var s = ApiSettings()
        let r = TableReader(table: table, tableName: "api", document: document)
        r.warnUnknown(keys.map(\.name), warn)
        if let v = try r.string("secret") { s.secret = v }
        if let v = try r.bool("loopback_exempt") { s.loopbackExempt = v }
        if let v = try r.string("media_server_id") { s.mediaServerId = v }
        if let v = try r.int("max_body_bytes", range: 1024...(64 << 20)) { s.maxBodyBytes = v }
        if let v = try r.string("snap_root") { s.snapRoot = v }
        if let v = try r.string("default_snap") { s.defaultSnap = v }
        return s
    }
}

/// The `[hook]` table: ZLMediaKit's web hooks (its names: `enable`, `timeoutSec`, `on_publish`, ...).
public struct HookSettings: Equatable, Sendable {
    public var enable = false
    public var timeoutSec = 10.0
    /// What a hook that fails or times out answers: allow (true) or deny.
    public var defaultAllow = true
    /// Retries after a network or parse failure (not after an answer that says no).
    public var retry = 1
    public var retryDelaySec = 3.0
    /// on_server_keepalive period.
    public var aliveIntervalSec = 10.0
    /// on_flow_report is sent for sessions that moved at least this many KiB (ZLMediaKit's flowThreshold).
    public var flowThresholdKB = 1024
    /// Hook name (on_publish, on_play, ...) -> URL; a missing or empty URL turns that hook off.
    public var urls: [String: String] = [:]

    /// on_stream_changed only for these schemas (ZLMediaKit's `stream_changed_schemas`, "rtsp/rtmp/..."); empty: all.
    public var streamChangedSchemas: Set<String> = []

    /// Hooks the core sends on its own events.
    public static let coreHookNames = ["on_publish", "on_play", "on_stream_changed", "on_stream_none_reader", "on_stream_not_found",
                                       "on_record_mp4", "on_server_started", "on_server_keepalive", "on_flow_report"]
    /// Every hook name of ZLMediaKit's [hook] section: accepted (wvp-GB28181-pro sets them at start-up), kept
    /// and shown. Those neither the core nor a plugin sends (through the `hook.post` command) are stored only;
    /// the README lists which.
    public static let hookNames = coreHookNames + ["on_rtp_server_timeout", "on_send_rtp_stopped", "on_record_ts", "on_rtsp_realm",
                                                   "on_rtsp_auth", "on_http_access", "on_shell_login", "on_server_exited"]

    public init() {}

    public func url(_ hook: String) -> String? {
        guard enable, let u = urls[hook], !u.isEmpty else { return nil }
        return u
    }

    public static let keys: [(name: String, type: String, help: String)] = [
        ("enable", "boolean", "send web hooks (default false)"),
        ("timeoutSec", "float", "how long a hook may take (default 10)"),
        ("default_allow", "boolean", "a hook that fails or times out allows (true, default) or denies"),
        ("retry", "integer", "retries after a network or parse failure (default 1)"),
        ("retry_delay", "float", "seconds between retries (default 3)"),
        ("alive_interval", "float", "on_server_keepalive period in seconds (default 10)"),
        ("flow_threshold", "integer", "on_flow_report only for sessions that moved this many KiB (default 1024)"),
        ("stream_changed_schemas", "string", "on_stream_changed only for these schemas, '/'-separated (\"rtsp/rtmp\"); empty: every schema"),
    ] + hookNames.map { ($0, "string", "URL of the \($0) hook; empty: off") }

    static func parse(_ table: [String: ConfigValue], document: ConfigDocument, warn: (String) -> Void) throws(ConfigError) -> HookSettings {
        var s = HookSettings()
        let r = TableReader(table: table, tableName: "hook", document: document)
        r.warnUnknown(keys.map(\.name), warn)
        if let v = try r.bool("enable") { s.enable = v }
        if let v = try r.double("timeoutSec", range: 0.1...600) { s.timeoutSec = v }
        if let v = try r.bool("default_allow") { s.defaultAllow = v }
        if let v = try r.int("retry", range: 0...10) { s.retry = v }
        if let v = try r.double("retry_delay", range: 0...600) { s.retryDelaySec = v }
        if let v = try r.double("alive_interval", range: 1...3600) { s.aliveIntervalSec = v }
        if let v = try r.int("flow_threshold", range: 0...(1 << 30)) { s.flowThresholdKB = v }
        if let v = try r.string("stream_changed_schemas") {
            s.streamChangedSchemas = Set(v.split(separator: "/").map { $0.trimmingSpaces() }.filter { !$0.isEmpty })
        }
        for name in hookNames {
            guard let url = try r.string(name) else { continue }
            guard url.isEmpty || url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw r.error(name, "expected an http:// or https:// URL, found \"\(url)\"")
            }
            s.urls[name] = url
        }
        return s
    }
}
