import MRPluginKit

/// The rtmp settings sessions and muxers read, replaced whole by a reload: a loop takes one snapshot per use
/// and never sees half of an old table and half of a new one.
struct RtmpSettings: Sendable {
    var takeover = false
    var stallTimeoutMs = 10_000
    var legacyHEVC = false

    init() {}

    init(_ host: PluginHost) {
        takeover = host.bool("takeover", default: false)
        stallTimeoutMs = max(1000, host.int("stall_timeout_ms", default: 10_000))
        legacyHEVC = host.bool("h265_legacy", default: false)
    }
}
