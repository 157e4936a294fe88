/// ZLMediaKit's live URLs: `/app/stream.live.flv` (and `.live.ts`, `.live.mp4`), with `?vhost=` and any
/// other query passed along. The app may have several path segments.
public struct LiveURL {
    public enum Format: String { case flv, ts, mp4 }

    public let vhost: String?
    public let app: String
    public let stream: String
    public let format: Format
    public let query: String

    public init?(path: String, query: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2, let last = parts.popLast() else { return nil }
        var found: Format?
        var stream = ""
        for f in [Format.flv, .ts, .mp4] where last.hasSuffix(".live.\(f.rawValue)") {
            found = f
            stream = String(last.dropLast(".live.\(f.rawValue)".count))
        }
        guard let format = found, !stream.isEmpty, !parts.contains("..") else { return nil }
        self.app = parts.joined(separator: "/")
        self.stream = stream
        self.format = format
        self.query = query
        var vhost: String?
        for part in query.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == "vhost" { vhost = String(kv[1]) }
        }
        self.vhost = vhost
    }
}
