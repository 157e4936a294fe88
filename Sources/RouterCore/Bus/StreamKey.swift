/// `vhost/app/stream`, the identity of a source on the bus (ZLMediaKit's schema).
public struct StreamKey: Hashable, Sendable, CustomStringConvertible {
    public static let defaultVhost = "__defaultVhost__"
    public let vhost: String
    public let app: String
    public let stream: String

    public init(vhost: String? = nil, app: String, stream: String) {
        let v = vhost ?? ""
        self.vhost = v.isEmpty ? Self.defaultVhost : v
        self.app = app
        self.stream = stream
    }

    /// Parses "app/stream" or "vhost/app/stream".
    public init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts.count {
        case 2: self.init(app: parts[0], stream: parts[1])
        case 3: self.init(vhost: parts[0], app: parts[1], stream: parts[2])
        default: return nil
        }
    }

    public var description: String { "\(vhost)/\(app)/\(stream)" }
}
