import MRPluginKit
import PluginABI
import Synchronization

/// Entry point of the RTSP plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "rtsp", version: "0.1.0", description: "RTSP/RTSPS server and client: RTP over TCP, UDP and multicast",
    configKeys: [
        ("bind", MR_CONFIG_STRING, "listen address (default 0.0.0.0)"),
        ("rtsps_port", MR_CONFIG_INT, "RTSPS port, used when tls_cert and tls_key are set (default 8322)"),
        ("tls_cert", MR_CONFIG_STRING, "PEM certificate chain for RTSPS"),
        ("tls_key", MR_CONFIG_STRING, "PEM private key for RTSPS"),
        ("transport", MR_CONFIG_STRING, "allowed RTP transports: any, tcp, udp, multicast (others answer 461)"),
        ("udp_port_range", MR_CONFIG_STRING, "server RTP/RTCP ports for UDP, \"first-last\"; one pair per event loop"),
        ("multicast_range", MR_CONFIG_STRING, "multicast groups handed out, \"first-last\" (default 239.255.0.1-239.255.255.254)"),
        ("multicast_port", MR_CONFIG_INT, "first multicast port (default 40000)"),
        ("multicast_ttl", MR_CONFIG_INT, "TTL of multicast packets (default 16)"),
        ("auth", MR_CONFIG_STRING, "client authentication: none, basic, digest"),
        ("realm", MR_CONFIG_STRING, "authentication realm (default MediaRouter)"),
        ("users", MR_CONFIG_LIST, "credentials, \"user:password\""),
        ("auth_publish", MR_CONFIG_BOOL, "authenticate publishers (default true when auth is on)"),
        ("auth_play", MR_CONFIG_BOOL, "authenticate players (default true when auth is on)"),
        ("takeover", MR_CONFIG_BOOL, "a second publisher replaces the first instead of being refused"),
        ("session_timeout_ms", MR_CONFIG_INT, "UDP sessions without RTCP or requests for this long are closed"),
        ("header_timeout_ms", MR_CONFIG_INT, "close a connection whose request (the first one from its opening) is not whole within this (default 10000)"),
        ("stall_timeout_ms", MR_CONFIG_INT, "drop a TCP player that stops reading for this long"),
        ("pull", MR_CONFIG_LIST, "streams to pull: \"app/stream=rtsp://[user:pass@]host/path\""),
        ProxyLink.tlsVerifyConfigKey,
        ("pull_transport", MR_CONFIG_STRING, "RTP transport of pulls: tcp (default) or udp"),
        ("push", MR_CONFIG_LIST, "streams to push: \"app/stream=rtsp://host/path\""),
    ],
    serves: #"""
    {"schemas": [{"name": "rtsp", "readers": ["rtsp"]}],
     "sources": [{"protocol": "rtsp", "schema": "rtsp", "origin_type": 2, "origin_type_str": "rtsp_push"},
                 {"protocol": "rtsp-pull", "schema": "rtsp", "origin_type": 4, "origin_type_str": "pull"}],
     "pull": [{"scheme": "rtsp", "snap_input": ["-rtsp_transport", "tcp"]},
              {"scheme": "rtsps", "snap_input": ["-rtsp_transport", "tcp"]}],
     "push": [{"scheme": "rtsp"}, {"scheme": "rtsps"}],
     "config_aliases": [{"name": "rtsp.port", "key": "port", "default": "8554"},
                        {"name": "rtsp.sslport", "key": "rtsps_port", "default": "0"}]}
    """#,
    create: { RtspPlugin($0) })

/// The plugin: listeners, UDP ports, settings, and the factory of sessions and of the "rtsp" ring muxer.
final class RtspPlugin: PluginLifecycle, ConnectionFactory, RingMuxerFactory, @unchecked Sendable {
    let host: PluginHost
    private var listeners: [OpaquePointer] = []
    private var listenSettings: [String] = []
    private(set) var udp: [RtspUdpPorts] = []
    private(set) var multicast: RtspMulticast?
    private var proxies: ProxyRegistry?
    /// Written by reconfigure on the control thread, read by sessions on the loops.
    private let currentSettings = Mutex(RtspSettings())
    var settings: RtspSettings { currentSettings.withLock { $0 } }

    let tunnels: RtspTunnels

    init(_ host: PluginHost) {
        self.host = host
        self.tunnels = RtspTunnels(host: host)
    }

    private var currentListenSettings: [String] {
        ["port", "bind", "rtsps_port", "tls_cert", "tls_key", "udp_port_range", "multicast_range", "multicast_port", "multicast_ttl", "pull_transport"]
            .map { host.string($0, default: "") }
    }

    func start() -> Int32 {
        guard let s = RtspSettings(host) else { return Int32(MR_ERR_INVALID) }
        currentSettings.withLock { $0 = s }
        listenSettings = currentListenSettings
        let bind = host.string("bind", default: "0.0.0.0")
        // UDP and multicast first: sessions read them from the moment a listener accepts.
        if s.transports.contains(.udp) || s.transports.contains(.multicast) {
            guard let ports = RtspUdpPorts.bindAll(host: host, bind: bind, range: s.udpPortRange) else { return Int32(MR_ERR_IO) }
            udp = ports
        }
        if s.transports.contains(.multicast) { multicast = RtspMulticast(host: host, settings: s, plugin: self) }
        var rc = listen(bind: bind, port: host.int("port", default: 8554), cert: nil, key: nil)
        guard rc == MR_OK else { return rc }
        let cert = host.string("tls_cert", default: ""), key = host.string("tls_key", default: "")
        if !cert.isEmpty || !key.isEmpty {
            rc = listen(bind: bind, port: host.int("rtsps_port", default: 8322), cert: cert, key: key)
            guard rc == MR_OK else { return rc }
        }
        let registry = ProxyRegistry(host: host, name: "rtsp", expected: "rtsp://[user:pass@]host[:port]/path") { [weak self] request in
            self.flatMap { RtspProxy(plugin: $0, request: request) }
        }
        proxies = registry
        registry.offerCommands(pushes: true)
        registry.start()
        return Int32(MR_OK)
    }

    private func listen(bind: String, port: Int, cert: String?, key: String?) -> Int32 {
        guard let l = host.listen(self, bind: bind, port: port, cert: cert, key: key) else { return Int32(MR_ERR_IO) }
        listeners.append(l)
        return Int32(MR_OK)
    }

    func reconfigure() -> Int32 {
        guard currentListenSettings == listenSettings, let s = RtspSettings(host) else {
            return Int32(MR_RESTART)
        }
        // A change of allowed transports needs the UDP sockets bound or closed: restart for that.
        guard s.transports == settings.transports else { return Int32(MR_RESTART) }
        currentSettings.withLock { $0 = s }
        proxies?.reconfigure()
        return Int32(MR_OK)
    }

    func stop() {
        for l in listeners { host.table.listener_close(l) }
        listeners.removeAll()
        proxies?.stop()
        // The UDP sockets and multicast readers are left to the host, which closes what a stopped plugin
        // left open on the loops that own them; `udp` and `multicast` stay readable by closing sessions.
        multicast?.stop()
    }

    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? { RtspServerSession(plugin: self, conn: conn) }

    func makeMuxer(for ring: OpaquePointer) -> RingMuxer? { RtspRingMuxer(host: host, ring: ring) }

    /// The UDP port pair of the loop a session runs on.
    func udpPorts(loop: Int32) -> RtspUdpPorts? { udp.first { $0.loop == loop } }
}
