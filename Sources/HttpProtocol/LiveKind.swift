/// What a live URL is played as: the derived ring it reads, the name players are listed under, the HTTP
/// content type, and whether each player's timestamps are rewritten (FLV starts every player near 0; TS and
/// fMP4 carry the source clock, which their players accept as is).
public struct LiveKind: Equatable, Sendable {
    public let ringFormat: String
    public let protocolName: String
    public let contentType: String
    public let label: String
    public let rebasesTimestamps: Bool

    public init(_ format: LiveURL.Format, websocket: Bool) {
        let prefix = websocket ? "ws-" : ""
        switch format {
        case .flv:
            ringFormat = prefix + "flv"
            protocolName = websocket ? "ws-flv" : "http-flv"
            contentType = "video/x-flv"
            label = websocket ? "WebSocket-FLV" : "HTTP-FLV"
            rebasesTimestamps = true
        case .ts:
            ringFormat = prefix + "ts"
            protocolName = websocket ? "ws-ts" : "http-ts"
            contentType = "video/mp2t"
            label = websocket ? "WebSocket-TS" : "HTTP-TS"
            rebasesTimestamps = false
        case .mp4:
            ringFormat = prefix + "fmp4"
            protocolName = websocket ? "ws-fmp4" : "http-fmp4"
            contentType = "video/mp4"
            label = websocket ? "WebSocket-fMP4" : "HTTP-fMP4"
            rebasesTimestamps = false
        }
    }
}
