/// One entry of a plugin's `<name>.session.list` answer (a plugin that declares `"sessions": true`), in the
/// shape the management core's PluginSessions reads for getAllSession, kick_session and getMediaList's origin.
public struct PluginSessionItem {
    public var id: String
    public var peer: (ip: String, port: Int)
    public var local: (ip: String, port: Int)
    public var vhost: String
    public var app: String
    public var stream: String
    /// "publisher" or "player".
    public var role: String
    public var protocolName: String
    public var stats: [String: Any]

    public init(id: String, peer: (ip: String, port: Int), local: (ip: String, port: Int), vhost: String, app: String,
                stream: String, role: String, protocolName: String, stats: [String: Any]) {
        self.id = id
        self.peer = peer
        self.local = local
        self.vhost = vhost
        self.app = app
        self.stream = stream
        self.role = role
        self.protocolName = protocolName
        self.stats = stats
    }

    public var dictionary: [String: Any] {
        ["id": id, "peer_ip": peer.ip, "peer_port": peer.port, "local_ip": local.ip, "local_port": local.port,
         "vhost": vhost, "app": app, "stream": stream, "role": role, "protocol": protocolName, "stats": stats]
    }

    /// "ip:port", "[v6]:port" or a bare v6 "a:b::c:port" (the port is after the last colon) as (ip, port);
    /// (address, 0) when there is no port.
    public static func split(_ address: String) -> (ip: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return (address, 0) }
        let ip = address[..<colon]
        return (String(ip.hasPrefix("[") && ip.hasSuffix("]") ? ip.dropFirst().dropLast() : ip), port)
    }
}
