/// The media playlist of one variant (RFC 8216): the newest segments of the window, with a discontinuity tag
/// where the publisher changed.
enum HlsPlaylist {
    struct Entry {
        let sequence: Int
        let durationUs: Int64
        let discontinuity: Bool
    }

    static func text(_ entries: [Entry], variant: HlsRequest.Variant) -> String {
        // Rounded up: no segment may be longer than the target duration (RFC 8216 4.3.3.1).
        let longest = entries.map(\.durationUs).max() ?? 1_000_000
        let target = max(1, Int((longest + 999_999) / 1_000_000))
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(variant == .fmp4 ? 7 : 3)", "#EXT-X-TARGETDURATION:\(target)",
                     "#EXT-X-MEDIA-SEQUENCE:\(entries.first?.sequence ?? 0)"]
        if variant == .fmp4 { lines.append("#EXT-X-MAP:URI=\"hls.fmp4.init.mp4\"") }
        for (i, e) in entries.enumerated() {
            if e.discontinuity && i > 0 { lines.append("#EXT-X-DISCONTINUITY") }
            let ms = e.durationUs / 1000
            let fraction = String(ms % 1000)
            lines.append("#EXTINF:\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction),")
            lines.append(variant == .fmp4 ? "hls.fmp4.\(e.sequence).m4s" : "hls.\(e.sequence).ts")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
