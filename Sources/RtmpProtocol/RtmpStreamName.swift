/// Splits what RTMP clients send as app and stream name into a bus key and the query for auth, the way
/// ZLMediaKit reads them: `rtmp://host/app/stream?vhost=v&token=t`, with the query on either part.
public struct RtmpStreamName {
    public let vhost: String?
    public let app: String
    public let stream: String
    public let query: String

    public init?(app rawApp: String, name rawName: String) {
        let (app, appQuery) = Self.split(rawApp)
        var (stream, streamQuery) = Self.split(rawName)
        // Flash-era clients name files "mp4:name.mp4" or "flv:name" (ffmpeg does so for names ending in .mp4).
        for prefix in ["mp4:", "flv:", "f4v:", "mp3:"] where stream.lowercased().hasPrefix(prefix) {
            stream = String(stream.dropFirst(prefix.count))
        }
        let query = [appQuery, streamQuery].filter { !$0.isEmpty }.joined(separator: "&")
        guard !app.isEmpty, !stream.isEmpty, !app.contains(".."), !stream.contains(".."),
              app.utf8.count < 256, stream.utf8.count < 256 else { return nil }
        self.app = app
        self.stream = stream
        self.query = query
        self.vhost = Self.parameter("vhost", in: query)
    }

    private static func split(_ s: String) -> (String, String) {
        guard let q = s.firstIndex(of: "?") else { return (s.trimmingSlashes, "") }
        return (String(s[..<q]).trimmingSlashes, String(s[s.index(after: q)...]))
    }

    public static func parameter(_ name: String, in query: String) -> String? {
        for part in query.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == name { return String(kv[1]) }
        }
        return nil
    }
}

extension String {
    public var trimmingSlashes: String {
        var s = self[...]
        while s.first == "/" { s = s.dropFirst() }
        while s.last == "/" { s = s.dropLast() }
        return String(s)
    }
}
