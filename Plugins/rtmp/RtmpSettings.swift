import MRPluginKit

/// The rtmp settings sessions and muxers read, replaced whole by a reload: a loop takes one snapshot per use
/// and never sees half of an old table and half of a new one.
struct RtmpSettings: Sendable {
    var takeover = false
    var stallTimeoutMs = 10_000
    var legacyHEVC = false
    /// A connection must have done its handshake and asked to publish or play within this.
    var handshakeTimeoutMs = 10_000

    init() {}

    init(_ host: PluginHost) {
        takeover = host.bool("takeover", default: false)
        stallTimeoutMs = max(1000, host.int("stall_timeout_ms", default: 10_000))
        legacyHEVC = host.bool("h265_legacy", default: false)
        handshakeTimeoutMs = max(500, min(600_000, host.int("handshake_timeout_ms", default: 10_000)))
    }
}
