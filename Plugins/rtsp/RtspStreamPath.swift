import RtspProtocol

/// The bus stream a request URL names: `rtsp://host/app/stream[?query]`, with a SETUP's track control
/// dropped, and the vhost taken from `?vhost=` as ZLMediaKit does.
struct RtspStreamPath {
    let vhost: String?
    let app: String
    let stream: String
    let query: String

    init?(uri: String) {
        guard let url = RtspURL(uri), let (app, stream) = url.appAndStream(dropTrackControl: true),
              !app.contains(".."), !stream.contains(".."), app.utf8.count < 256, stream.utf8.count < 256 else { return nil }
        self.app = app
        self.stream = stream
        self.query = url.queryWithoutTrackControl ?? ""
        self.vhost = query.split(separator: "&").first { $0.hasPrefix("vhost=") }.map { String($0.dropFirst(6)) }
    }

    /// The Content-Base of a DESCRIBE or ANNOUNCE URL: the URL with a trailing slash, so "trackID=N" resolves
    /// below it.
    static func contentBase(_ uri: String) -> String { uri.hasSuffix("/") ? uri : uri + "/" }

    /// The N of a SETUP URL ending in our "trackID=N".
    static func trackNumber(_ uri: String) -> Int? { RtspURL(uri)?.trackControl.flatMap(RtspURL.trackIndex(control:)) }
}
