/// The media playlist of one variant (RFC 8216): the newest segments of the window, with a discontinuity tag
/// where the publisher changed and the count of discontinuities that left the window. With a live edge it
/// is an LL-HLS playlist (RFC 8216bis, version 9): the parts of the recent segments and of the one being
/// muxed, a preload hint for the next part, and blocking reloads announced.
public enum HlsPlaylist {
    /// The two variants a stream is served as: MPEG-TS segments, or fMP4 segments after an init segment.
    public enum Variant: Equatable, Sendable { case ts, fmp4 }

    public struct PartEntry: Equatable, Sendable {
        public let durationUs: Int64
        public let independent: Bool

        public init(durationUs: Int64, independent: Bool) {
            self.durationUs = durationUs
            self.independent = independent
        }
    }

    public struct Entry: Equatable, Sendable {
        public let sequence: Int
        public let durationUs: Int64
        public let discontinuity: Bool
        public var parts: [PartEntry]

        public init(sequence: Int, durationUs: Int64, discontinuity: Bool, parts: [PartEntry] = []) {
            self.sequence = sequence
            self.durationUs = durationUs
            self.discontinuity = discontinuity
            self.parts = parts
        }
    }

    /// The segment being muxed: its parts so far, and the part target every part stays within.
    public struct LiveEdge: Equatable, Sendable {
        public let partTargetUs: Int64
        public let sequence: Int
        public let discontinuity: Bool
        public let parts: [PartEntry]

        public init(partTargetUs: Int64, sequence: Int, discontinuity: Bool, parts: [PartEntry]) {
            self.partTargetUs = partTargetUs
            self.sequence = sequence
            self.discontinuity = discontinuity
            self.parts = parts
        }
    }

    /// `targetSeconds` never decreases for a stream (RFC 8216 6.2.1); `query` is appended to every URI so a
    /// `?vhost=` playlist's segments come from the same stream.
    public static func text(_ entries: [Entry], variant: Variant, targetSeconds: Int, discontinuitySequence: Int,
                     query: String, edge: LiveEdge? = nil) -> String {
        let suffix = query.isEmpty ? "" : "?" + query
        let version = edge != nil ? 9 : variant == .fmp4 ? 7 : 3
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-TARGETDURATION:\(targetSeconds)"]
        if let edge {
            // Apple recommends a hold-back of three part targets (the spec's floor is two).
            lines.append("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=\(seconds(3 * edge.partTargetUs, digits: 3))")
            lines.append("#EXT-X-PART-INF:PART-TARGET=\(seconds(edge.partTargetUs, digits: 3))")
        }
        lines += ["#EXT-X-MEDIA-SEQUENCE:\(entries.first?.sequence ?? 0)", "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuitySequence)"]
        if variant == .fmp4 { lines.append("#EXT-X-MAP:URI=\"hls.fmp4.init.mp4\(suffix)\"") }
        for e in entries {
            if e.discontinuity { lines.append("#EXT-X-DISCONTINUITY") }
            appendParts(e.parts, sequence: e.sequence, suffix: suffix, to: &lines)
            lines.append("#EXTINF:\(seconds(e.durationUs, digits: 3)),")
            lines.append((variant == .fmp4 ? "hls.fmp4.\(e.sequence).m4s" : "hls.\(e.sequence).ts") + suffix)
        }
        if let edge {
            if edge.discontinuity && !edge.parts.isEmpty { lines.append("#EXT-X-DISCONTINUITY") }
            appendParts(edge.parts, sequence: edge.sequence, suffix: suffix, to: &lines)
            lines.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"\(partURI(edge.sequence, edge.parts.count))\(suffix)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func partURI(_ sequence: Int, _ part: Int) -> String { "hls.fmp4.\(sequence).\(part).m4s" }

    private static func appendParts(_ parts: [PartEntry], sequence: Int, suffix: String, to lines: inout [String]) {
        for (i, p) in parts.enumerated() {
            lines.append("#EXT-X-PART:DURATION=\(seconds(p.durationUs, digits: 5)),URI=\"\(partURI(sequence, i))\(suffix)\""
                         + (p.independent ? ",INDEPENDENT=YES" : ""))
        }
    }

    /// Decimal seconds with a fixed number of digits, without Foundation's formatting.
    /// `digits` is kept within 0...6: past microseconds there is nothing to show, and the scaled value must
    /// not overflow.
    public static func seconds(_ us: Int64, digits requested: Int) -> String {
        let digits = min(max(requested, 0), 6)
        guard digits > 0 else { return "\((max(0, us) + 500_000) / 1_000_000)" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let units = (max(0, us) * scale + 500_000) / 1_000_000
        let fraction = String(units % scale)
        return "\(units / scale).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }
}
