/// Parses M3U8 playlists (RFC 8216) as a client needs them: master playlists for their variants, media
/// playlists for their segments. Unknown tags are skipped, as the RFC asks. Bounded: a playlist of
/// `maxBytes`, lines of `maxLineLength`, at most `maxSegments` segments and `maxVariants` variants.
public enum M3u8Parser {
    public static let maxBytes = 4 << 20
    public static let maxLineLength = 16 * 1024
    public static let maxSegments = 20_000
    /// 2^53: far beyond any real numbering, and far from Int's end.
    public static let maxMediaSequence = 1 << 53
    public static let maxVariants = 256

    /// `url` is where the playlist came from: its URIs are resolved against it.
    public static func parse(_ bytes: some Collection<UInt8>, url: String) throws(M3u8Error) -> M3u8Playlist {
        guard bytes.count <= maxBytes else { throw M3u8Error(line: 0, reason: "over \(maxBytes) bytes") }
        var lines: [Substring] = []
        var lineNumber = 0
        for raw in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard raw.count <= maxLineLength else { throw M3u8Error(line: lineNumber, reason: "line over \(maxLineLength) bytes") }
            var text = Substring(String(decoding: raw, as: UTF8.self))
            if text.last == "\r" { text = text.dropLast() }
            lines.append(text)
        }
        // A UTF-8 byte order mark is not allowed, but some servers write one.
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        guard lines.first?.trimmingSpaces == "#EXTM3U" else { throw M3u8Error(line: 1, reason: "does not start with #EXTM3U") }
        var builder = Builder(url: url)
        for (i, line) in lines.enumerated().dropFirst() {
            try builder.take(line.trimmingSpaces[...], line: i + 1)
        }
        return try builder.result()
    }

    private struct Builder {
        let url: String
        var master = M3u8MasterPlaylist()
        var media = M3u8MediaPlaylist()
        var sawMasterTag = false
        var sawMediaTag = false
        var sawTargetDuration = false
        var pendingVariant: M3u8Variant?
        var pendingDuration: Double?
        var pendingDiscontinuity = false

        init(url: String) { self.url = url }

        mutating func take(_ line: Substring, line n: Int) throws(M3u8Error) {
            if line.isEmpty { return }
            if !line.hasPrefix("#") { return try uri(line, line: n) }
            guard line.hasPrefix("#EXT") else { return }   // a comment
            let colon = line.firstIndex(of: ":")
            let tag = colon.map { line[..<$0] } ?? line
            let value = colon.map { line[line.index(after: $0)...] } ?? ""
            switch tag {
            case "#EXT-X-STREAM-INF":
                sawMasterTag = true
                guard let a = M3u8Attributes.parse(value), let bw = a["BANDWIDTH"].flatMap({ Int($0) }), bw >= 0 else {
                    throw M3u8Error(line: n, reason: "EXT-X-STREAM-INF without a valid BANDWIDTH")
                }
                var v = M3u8Variant(uri: "", bandwidth: bw)
                v.averageBandwidth = a["AVERAGE-BANDWIDTH"].flatMap { Int($0) }
                v.codecs = a["CODECS"]
                v.frameRate = a["FRAME-RATE"].flatMap { Double($0) }
                if let r = a["RESOLUTION"] {
                    let wh = r.split(separator: "x")
                    if wh.count == 2, let w = Int(wh[0]), let h = Int(wh[1]), w > 0, h > 0 { v.resolution = (w, h) }
                }
                pendingVariant = v
            case "#EXT-X-MEDIA", "#EXT-X-I-FRAME-STREAM-INF", "#EXT-X-SESSION-DATA", "#EXT-X-SESSION-KEY":
                sawMasterTag = true   // renditions and trick-play variants are not pulled
            case "#EXT-X-TARGETDURATION":
                sawMediaTag = true
                guard let d = Int(value.trimmingSpaces), d >= 0, d <= 86_400 else { throw M3u8Error(line: n, reason: "bad EXT-X-TARGETDURATION") }
                media.targetDuration = Double(d)
                sawTargetDuration = true
            case "#EXT-X-MEDIA-SEQUENCE":
                sawMediaTag = true
                // Bounded so that sequence arithmetic (numbering segments, the next one to fetch) cannot overflow.
                guard let s = Int(value.trimmingSpaces), s >= 0, s <= M3u8Parser.maxMediaSequence else {
                    throw M3u8Error(line: n, reason: "bad EXT-X-MEDIA-SEQUENCE")
                }
                guard media.segments.isEmpty else { throw M3u8Error(line: n, reason: "EXT-X-MEDIA-SEQUENCE after the first segment") }
                media.mediaSequence = s
            case "#EXT-X-DISCONTINUITY-SEQUENCE":
                sawMediaTag = true
                guard let s = Int(value.trimmingSpaces), s >= 0 else { throw M3u8Error(line: n, reason: "bad EXT-X-DISCONTINUITY-SEQUENCE") }
                media.discontinuitySequence = s
            case "#EXTINF":
                sawMediaTag = true
                let text = value.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                guard let d = Double(text.trimmingSpaces), d.isFinite, d >= 0, d <= 86_400 else {
                    throw M3u8Error(line: n, reason: "bad EXTINF duration '\(text.prefix(40))'")
                }
                pendingDuration = d
            case "#EXT-X-DISCONTINUITY":
                sawMediaTag = true
                pendingDiscontinuity = true
            case "#EXT-X-ENDLIST":
                sawMediaTag = true
                media.endList = true
            case "#EXT-X-PLAYLIST-TYPE":
                sawMediaTag = true
                media.playlistType = value.trimmingSpaces
            case "#EXT-X-MAP":
                sawMediaTag = true
                guard let a = M3u8Attributes.parse(value), let u = a["URI"] else { throw M3u8Error(line: n, reason: "EXT-X-MAP without URI") }
                media.initSection = M3u8URI.resolve(u, against: url) ?? u
                if a["BYTERANGE"] != nil { media.byteRanges = true }
            case "#EXT-X-KEY":
                sawMediaTag = true
                guard let a = M3u8Attributes.parse(value), let method = a["METHOD"] else { throw M3u8Error(line: n, reason: "EXT-X-KEY without METHOD") }
                if method != "NONE" { media.encrypted = true }
            case "#EXT-X-BYTERANGE":
                sawMediaTag = true
                media.byteRanges = true
            default:
                break
            }
        }

        private mutating func uri(_ line: Substring, line n: Int) throws(M3u8Error) {
            guard let resolved = M3u8URI.resolve(String(line), against: url) else {
                throw M3u8Error(line: n, reason: "cannot resolve '\(line.prefix(80))' against \(url)")
            }
            if var v = pendingVariant {
                pendingVariant = nil
                guard master.variants.count < maxVariants else { throw M3u8Error(line: n, reason: "more than \(maxVariants) variants") }
                v.uri = resolved
                master.variants.append(v)
                return
            }
            guard let d = pendingDuration else { throw M3u8Error(line: n, reason: "URI without EXTINF or EXT-X-STREAM-INF") }
            guard media.segments.count < maxSegments else { throw M3u8Error(line: n, reason: "more than \(maxSegments) segments") }
            let seq = media.mediaSequence + media.segments.count
            media.segments.append(M3u8Segment(uri: resolved, duration: d, sequence: seq, discontinuity: pendingDiscontinuity,
                                              initSection: media.initSection))
            pendingDuration = nil
            pendingDiscontinuity = false
        }

        func result() throws(M3u8Error) -> M3u8Playlist {
            if sawMasterTag && sawMediaTag { throw M3u8Error(line: 0, reason: "both master and media playlist tags") }
            if sawMasterTag {
                guard !master.variants.isEmpty else { throw M3u8Error(line: 0, reason: "master playlist without a variant URI") }
                return .master(master)
            }
            guard sawTargetDuration else { throw M3u8Error(line: 0, reason: "media playlist without EXT-X-TARGETDURATION") }
            return .media(media)
        }
    }
}
