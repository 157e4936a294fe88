import MRPluginKit
import PluginABI
import SrtProtocol

/// The plugin's table read once: an immutable snapshot, so the listen callback (on libsrt's receive thread)
/// and the loops read it without locks beyond swapping the reference.
struct SrtSettings: Sendable {
    var bind = "0.0.0.0"
    var port = 9000
    var latencyMs = 120
    var latencyMul = 4
    var payloadSize = TsMessages.defaultPayloadSize
    var peerIdleTimeoutMs = 5000
    var connectTimeoutMs = 3000
    var maxConnections = 1000
    var passphrases = SrtPassphraseRules()
    var takeover = false
    var statsIntervalMs = 1000
    var playerSendBufferBytes = 1 << 20
    var replaceSilentPublisherMs = 1500

    static let configKeys: [(String, mr_config_type, String)] = [
        ("bind", MR_CONFIG_STRING, "listen address (default 0.0.0.0)"),
        ("latency", MR_CONFIG_INT, "SRT latency in ms (receiver buffer for retransmissions; default 120); the larger of ours and the peer's applies"),
        ("latency_mul", MR_CONFIG_INT, "ZLMediaKit's srt.latencyMul: a caller whose address libsrt measured recently is offered "
            + "max(latency, its RTT x latency_mul) (default 4; 0: always latency); the peer's own latency still wins when larger"),
        ("passphrase", MR_CONFIG_STRING, "passphrase (10-79 characters) of streams no rule in 'passphrases' matches; empty: no encryption"),
        ("pbkeylen", MR_CONFIG_INT, "AES key length in bytes: 16, 24 or 32 (0: libsrt's default, 16)"),
        ("passphrases", MR_CONFIG_LIST, "per-stream passphrases: \"[publish:|read:]app/stream-pattern=passphrase[|pbkeylen]\", '*' matches any text, first match wins"),
        ("payload_size", MR_CONFIG_INT, "largest SRT message sent to players, rounded down to whole TS packets (default 1316 = 7 x 188)"),
        ("peer_idle_timeout_ms", MR_CONFIG_INT, "a peer silent for this long is dropped (default 5000)"),
        ("connect_timeout_ms", MR_CONFIG_INT, "pulls and pushes: connect timeout (default 3000)"),
        ("max_connections", MR_CONFIG_INT, "SRT connections at once, players and publishers; more are refused with 1402 overload (default 1000; 0 = no cap)"),
        ("takeover", MR_CONFIG_BOOL, "a second publisher replaces the first instead of being refused with 1409"),
        ("replace_silent_publisher_ms", MR_CONFIG_INT, "a caller publishing a stream whose SRT publisher has sent nothing for this long "
            + "replaces it (an encoder that died without closing returns within continue_push_ms) instead of being refused with 1409 "
            + "(default 1500; 0: never)"),
        ("player_send_buffer_kb", MR_CONFIG_INT, "libsrt send buffer of each player in KiB (default 1024, about 4 s of a 2 Mbit/s stream); "
            + "a player that falls further behind is paused and skips to a keyframe"),
        ("stats_interval_ms", MR_CONFIG_INT, "how often libsrt's per-connection statistics are sampled into the plugin stats (default 1000)"),
        ("pull", MR_CONFIG_LIST, "streams to pull: \"app/stream=srt://host:port?streamid=...\""),
        ("push", MR_CONFIG_LIST, "streams to push: \"app/stream=srt://host:port?streamid=...\""),
    ]

    /// The settings of the table now, and the problems to log (bad passphrase rules are left out).
    static func read(_ host: PluginHost) -> (SrtSettings, [String]) {
        var s = SrtSettings()
        s.bind = host.string("bind", default: "0.0.0.0")
        s.port = host.int("port", default: 9000)
        s.latencyMs = min(max(0, host.int("latency", default: 120)), SrtLatency.maxMs)
        s.latencyMul = min(max(0, host.int("latency_mul", default: 4)), 100)
        s.payloadSize = min(max(TsMessages.packetSize, host.int("payload_size", default: TsMessages.defaultPayloadSize)), 1456)
        s.peerIdleTimeoutMs = max(1000, host.int("peer_idle_timeout_ms", default: 5000))
        s.connectTimeoutMs = max(500, host.int("connect_timeout_ms", default: 3000))
        // 0 means no cap, as the core's max_connections of every other plugin table does.
        let cap = host.int("max_connections", default: 1000)
        s.maxConnections = cap <= 0 ? Int.max : cap
        s.takeover = host.bool("takeover", default: false)
        s.replaceSilentPublisherMs = max(0, host.int("replace_silent_publisher_ms", default: 1500))
        s.statsIntervalMs = max(100, host.int("stats_interval_ms", default: 1000))
        s.playerSendBufferBytes = min(max(64, host.int("player_send_buffer_kb", default: 1024)), 65_536) * 1024
        let (rules, problems) = SrtPassphraseRules.parse(host.list("passphrases"), passphrase: host.string("passphrase", default: ""),
                                                         pbkeylen: host.int("pbkeylen", default: 0))
        s.passphrases = rules
        return (s, problems)
    }

    /// Whether a caller may replace a publisher that has sent nothing for `silenceMs`.
    func replacesSilentPublisher(after silenceMs: Int64) -> Bool {
        replaceSilentPublisherMs > 0 && silenceMs >= Int64(replaceSilentPublisherMs)
    }

    /// Settings a running listener cannot change without a restart.
    var listenIdentity: [String] {
        [bind, "\(port)", "\(latencyMs)", "\(payloadSize)", "\(peerIdleTimeoutMs)"]
    }
}
