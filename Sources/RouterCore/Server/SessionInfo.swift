import NIOCore

/// One open TCP connection of a plugin, as the management API lists it (ZLMediaKit's getAllSession).
public struct SessionInfo: Sendable {
    public let id: UInt64
    public let plugin: String
    public let peerIP: String
    public let peerPort: Int
    public let localIP: String
    public let localPort: Int

    init(id: UInt64, plugin: String, peer: SocketAddress?, local: SocketAddress?) {
        self.id = id
        self.plugin = plugin
        peerIP = peer?.ipAddress ?? ""
        peerPort = peer?.port ?? 0
        localIP = local?.ipAddress ?? ""
        localPort = local?.port ?? 0
    }
}
