/// What an SRT session carries, as the session list shows it: whether it brings a stream in (a caller
/// publishing, or our pull) or takes one out (a caller playing, or our push), and which stream.
struct SrtSessionIdentity: Sendable {
    enum Role: String, Sendable {
        case publisher, player
    }

    let role: Role
    let vhost: String?
    let app: String
    let stream: String
    /// "srt" for callers, "srt-pull" / "srt-push" for the plugin's own connections.
    let protocolName: String
}
