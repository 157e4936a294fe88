/// The media playlist of one variant (RFC 8216): the newest segments of the window, with a discontinuity tag
/// where the publisher changed and the count of discontinuities that left the window.
enum HlsPlaylist {
    struct Entry {
        let sequence: Int
        let durationUs: Int64
        let discontinuity: Bool
    }

    /// `targetSeconds` never decreases for a stream (RFC 8216 6.2.1); `query` is appended to every URI so a
    /// `?vhost=` playlist's segments come from the same stream.
    static func text(_ entries: [Entry], variant: HlsRequest.Variant, targetSeconds: Int, discontinuitySequence: Int,
                     query: String) -> String {
        let suffix = query.isEmpty ? "" : "?" + query
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(variant == .fmp4 ? 7 : 3)", "#EXT-X-TARGETDURATION:\(targetSeconds)",
                     "#EXT-X-MEDIA-SEQUENCE:\(entries.first?.sequence ?? 0)", "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuitySequence)"]
        if variant == .fmp4 { lines.append("#EXT-X-MAP:URI=\"hls.fmp4.init.mp4\(suffix)\"") }
        for e in entries {
            if e.discontinuity { lines.append("#EXT-X-DISCONTINUITY") }
            let ms = e.durationUs / 1000
            let fraction = String(ms % 1000)
            lines.append("#EXTINF:\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction),")
            lines.append((variant == .fmp4 ? "hls.fmp4.\(e.sequence).m4s" : "hls.\(e.sequence).ts") + suffix)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
