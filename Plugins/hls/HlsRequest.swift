import HlsFormats

/// What an HLS URL asks for: `/app/stream/hls.m3u8` (MPEG-TS variant), `/app/stream/hls.fmp4.m3u8` (fMP4),
/// segments `hls.<n>.ts` and `hls.fmp4.<n>.m4s`, LL-HLS parts `hls.fmp4.<n>.<part>.m4s`, and the fMP4 init
/// segment `hls.fmp4.init.mp4`. The app may have several path segments, as in ZLMediaKit.
struct HlsRequest: Equatable {
    typealias Variant = HlsPlaylist.Variant
    enum Item: Equatable { case playlist, initSegment, segment(Int), part(Int, Int) }
    /// A blocking playlist reload (`_HLS_msn=N[&_HLS_part=M]`); `invalid` is answered 400.
    enum Block: Equatable { case none, at(msn: Int, part: Int?), invalid }

    let app: String
    let stream: String
    let vhost: String?
    let query: String
    let variant: Variant
    let item: Item
    let block: Block
    /// The player session named by the query (`mr_hls_session=`), for players that do not keep cookies.
    let sessionToken: String?
    /// The query without the LL-HLS directives and the session token: what segment URIs carry along.
    let uriQuery: String

    static let sessionParameter = "mr_hls_session"

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
            if name.hasPrefix("fmp4."), name.hasSuffix(".m4s") {
                let numbers = name.dropFirst(5).dropLast(4).split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
                switch numbers.count {
                case 1: guard let n = numbers[0], n >= 0 else { return nil }; (variant, item) = (.fmp4, .segment(n))
                case 2: guard let n = numbers[0], let p = numbers[1], n >= 0, p >= 0 else { return nil }; (variant, item) = (.fmp4, .part(n, p))
                default: return nil
                }
            } else if name.hasSuffix(".ts"), let n = Int(name.dropLast(3)), n >= 0 {
                (variant, item) = (.ts, .segment(n))
            } else {
                return nil
            }
        }
        self.app = parts.joined(separator: "/")
        self.stream = stream
        let raw = query.split(separator: "&")
        let pairs = raw.map { p -> (Substring, Substring) in
            let kv = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        }
        self.vhost = pairs.first { $0.0 == "vhost" }.map { String($0.1) }
        self.query = query
        self.sessionToken = pairs.first { $0.0 == Self.sessionParameter }.map { String($0.1) }.flatMap { $0.isEmpty ? nil : $0 }
        self.uriQuery = zip(raw, pairs).filter { !$0.1.0.hasPrefix("_HLS_") && $0.1.0 != Self.sessionParameter }
            .map { String($0.0) }.joined(separator: "&")
        self.block = Self.block(msn: pairs.first { $0.0 == "_HLS_msn" }?.1, part: pairs.first { $0.0 == "_HLS_part" }?.1)
    }

    /// RFC 8216bis 6.2.5.2: `_HLS_part` without `_HLS_msn`, or values that are not small non-negative numbers,
    /// are a bad request.
    private static func block(msn: Substring?, part: Substring?) -> Block {
        guard let msn else { return part == nil ? .none : .invalid }
        guard let n = Int(msn), n >= 0 else { return .invalid }
        guard let part else { return .at(msn: n, part: nil) }
        guard let p = Int(part), p >= 0, p < 10_000 else { return .invalid }
        return .at(msn: n, part: p)
    }

    var key: String { "\(vhost ?? "")/\(app)/\(stream)" }

    var contentType: String {
        switch (variant, item) {
        case (_, .playlist): return "application/vnd.apple.mpegurl"
        case (.ts, _): return "video/mp2t"
        case (.fmp4, .initSegment): return "video/mp4"
        case (.fmp4, .segment), (.fmp4, .part): return "video/iso.segment"
        }
    }
}
