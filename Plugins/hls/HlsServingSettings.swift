import MRPluginKit
import PluginABI

/// Settings of LL-HLS, player sessions and the disk copy (kept apart from the segmenting ones).
struct HlsServingSettings {
    var lowLatency = true
    var partMs = 200
    var diskRoot = ""
    var maxSessions = 10_000
    var maxStreamSessions = 1000

    static let configKeys: [(String, mr_config_type, String)] = [
        ("low_latency", MR_CONFIG_BOOL, "LL-HLS on the fMP4 playlist: parts, preload hints, blocking reloads (default true)"),
        ("part_ms", MR_CONFIG_INT, "LL-HLS part target; parts are whole fMP4 fragments (default 200)"),
        ("disk_root", MR_CONFIG_STRING, "also write segments and playlists under <disk_root>/<app>/<stream>/ (default empty: off)"),
        ("max_sessions", MR_CONFIG_INT, "HLS players counted at once, all streams; more get 503 (default 10000)"),
        ("max_stream_sessions", MR_CONFIG_INT, "HLS players of one stream; more get 503 (default 1000)"),
    ]

    init() {}

    init(_ host: PluginHost) {
        let segmentMs = max(500, min(30_000, host.int("segment_ms", default: 2000)))
        lowLatency = host.bool("low_latency", default: true)
        // A part is at least a frame or two and leaves room for several parts per segment.
        partMs = max(100, min(max(100, segmentMs / 2), host.int("part_ms", default: 200)))
        diskRoot = host.string("disk_root", default: "")
        while diskRoot.count > 1 && diskRoot.hasSuffix("/") { diskRoot.removeLast() }
        maxSessions = max(1, min(1_000_000, host.int("max_sessions", default: 10_000)))
        maxStreamSessions = max(1, min(maxSessions, host.int("max_stream_sessions", default: 1000)))
    }
}
