/// What an HLS URL asks for: `/app/stream/hls.m3u8` (MPEG-TS variant), `/app/stream/hls.fmp4.m3u8` (fMP4),
/// segments `hls.<n>.ts` and `hls.fmp4.<n>.m4s`, and the fMP4 init segment `hls.fmp4.init.mp4`. The app may
/// have several path segments, as in ZLMediaKit.
struct HlsRequest: Equatable {
    enum Variant: Equatable { case ts, fmp4 }
    enum Item: Equatable { case playlist, initSegment, segment(Int) }

    let app: String
    let stream: String
    let vhost: String?
    let query: String
    let variant: Variant
    let item: Item

    init?(path: String, query: String) {
        var parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 3, let file = parts.popLast(), let stream = parts.popLast(), !parts.contains(".."),
              stream != "..", file.hasPrefix("hls.") else { return nil }
        let name = file.dropFirst(4)
        switch name {
        case "m3u8": (variant, item) = (.ts, .playlist)
        case "fmp4.m3u8": (variant, item) = (.fmp4, .playlist)
        case "fmp4.init.mp4": (variant, item) = (.fmp4, .initSegment)
        default:
            if name.hasPrefix("fmp4."), name.hasSuffix(".m4s"), let n = Int(name.dropFirst(5).dropLast(4)), n >= 0 {
                (variant, item) = (.fmp4, .segment(n))
            } else if name.hasSuffix(".ts"), let n = Int(name.dropLast(3)), n >= 0 {
                (variant, item) = (.ts, .segment(n))
            } else {
                return nil
            }
        }
        self.app = parts.joined(separator: "/")
        self.stream = stream
        self.vhost = query.split(separator: "&").first { $0.hasPrefix("vhost=") }.map { String($0.dropFirst(6)) }
        self.query = query
    }

    var key: String { "\(vhost ?? "")/\(app)/\(stream)" }

    var contentType: String {
        switch (variant, item) {
        case (_, .playlist): return "application/vnd.apple.mpegurl"
        case (.ts, _): return "video/mp2t"
        case (.fmp4, .initSegment): return "video/mp4"
        case (.fmp4, .segment): return "video/iso.segment"
        }
    }
}
