/// Who may create a derived ring of which name (reader_open_derived). A ring is shared by every reader that
/// names its format, whichever plugin's muxer made it; so a well-known format is a contract (the same bytes
/// whoever creates it), and any other format belongs to one plugin, under its table name.
enum DerivedRingName {
    /// The formats in use across plugins, each with one meaning: FLV tags (HTTP-FLV), MPEG-TS packets,
    /// fragmented MP4, each also in WebSocket binary frames ("ws-"), RTMP chunks of the "rtmp" ring and RTP
    /// interleaved packets of the "rtsp" ring.
    static let wellKnown: Set<String> = ["flv", "ws-flv", "ts", "ws-ts", "fmp4", "ws-fmp4", "rtmp", "rtsp"]

    static func allowed(_ format: String, plugin: String) -> Bool {
        wellKnown.contains(format) || (format.hasPrefix(plugin + ".") && format.utf8.count > plugin.utf8.count + 1)
    }

    static func refusal(_ format: String, plugin: String) -> String {
        "derived ring '\(format)' is neither a well-known format (\(wellKnown.sorted().joined(separator: ", "))) "
            + "nor in the plugin's namespace '\(plugin).'"
    }
}
