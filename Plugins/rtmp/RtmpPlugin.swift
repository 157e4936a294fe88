import RtmpProtocol
import MRPluginKit
import PluginABI

/// Entry point of the RTMP plugin.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "rtmp", version: "0.1.0", description: "RTMP server: publish and play, FLV codecs and Enhanced RTMP",
    configKeys: [
        ("bind", MR_CONFIG_STRING, "listen address (default 0.0.0.0)"),
        ("takeover", MR_CONFIG_BOOL, "a second publisher replaces the first instead of being refused"),
        ("stall_timeout_ms", MR_CONFIG_INT, "drop a player that stops reading for this long"),
        ("handshake_timeout_ms", MR_CONFIG_INT, "close a connection that has not asked to publish or play within this"),
        ("h265_legacy", MR_CONFIG_BOOL, "send H.265 with FLV codec id 12 instead of Enhanced RTMP 'hvc1'"),
        ("rtmps_port", MR_CONFIG_INT, "RTMPS port, used when tls_cert and tls_key are set (default 19350)"),
        ("tls_cert", MR_CONFIG_STRING, "PEM certificate chain for RTMPS"),
        ("tls_key", MR_CONFIG_STRING, "PEM private key for RTMPS"),
        ("pull", MR_CONFIG_LIST, "streams to pull: \"app/stream=rtmp://host/app/stream\""),
        ProxyLink.tlsVerifyConfigKey,
        ("push", MR_CONFIG_LIST, "streams to push: \"app/stream=rtmp://host/app/stream\""),
    ],
    serves: #"""
    {"schemas": [{"name": "rtmp", "readers": ["rtmp"]}],
     "sources": [{"protocol": "rtmp", "schema": "rtmp", "origin_type": 1, "origin_type_str": "rtmp_push"},
                 {"protocol": "rtmp-pull", "schema": "rtmp", "origin_type": 4, "origin_type_str": "pull"}],
     "pull": [{"scheme": "rtmp"}, {"scheme": "rtmps"}],
     "push": [{"scheme": "rtmp"}, {"scheme": "rtmps"}],
     "config_aliases": [{"name": "rtmp.port", "key": "port", "default": "1935"},
                        {"name": "rtmp.sslport", "key": "rtmps_port", "default": "0"}]}
    """#,
    create: { RtmpPlugin($0) })

/// The plugin: its listener, settings, and the factory of sessions and of the "rtmp" ring muxer.
/// `listeners` and `listenSettings` belong to the control thread; what loops read is the settings snapshot.
final class RtmpPlugin: PluginLifecycle, ConnectionFactory, RingMuxerFactory, @unchecked Sendable {
    let host: PluginHost
    private var listeners: [OpaquePointer] = []
    private var listenSettings: [String] = []
    private let proxies: ProxyRegistry
    /// Written by start and reconfigure on the control thread, read by sessions and muxers on the loops.
    private let currentSettings = LockedValue(RtmpSettings())
    var settings: RtmpSettings { currentSettings.withLock { $0 } }

    init(_ host: PluginHost) {
        self.host = host
        proxies = ProxyRegistry(host: host, name: "rtmp", expected: "rtmp://host[:port]/app/stream") { RtmpProxy(host: host, request: $0) }
    }

    private func readSettings() {
        let s = RtmpSettings(host)
        currentSettings.withLock { $0 = s }
    }

    private var currentListenSettings: [String] {
        ["port", "bind", "rtmps_port", "tls_cert", "tls_key"].map { host.string($0, default: "") }
    }

    func start() -> Int32 {
        readSettings()
        listenSettings = currentListenSettings
        let bind = host.string("bind", default: "0.0.0.0")
        var rc = listen(bind: bind, port: host.int("port", default: 1935), cert: nil, key: nil)
        guard rc == MR_OK else { return rc }
        let cert = host.string("tls_cert", default: ""), key = host.string("tls_key", default: "")
        if !cert.isEmpty || !key.isEmpty {
            rc = listen(bind: bind, port: host.int("rtmps_port", default: 19350), cert: cert, key: key)
            guard rc == MR_OK else { return rc }
        }
        proxies.offerCommands(pushes: true)
        proxies.start()
        return rc
    }

    private func listen(bind: String, port: Int, cert: String?, key: String?) -> Int32 {
        guard let l = host.listen(self, bind: bind, port: port, cert: cert, key: key) else { return Int32(MR_ERR_IO) }
        listeners.append(l)
        return Int32(MR_OK)
    }

    func reconfigure() -> Int32 {
        guard currentListenSettings == listenSettings else { return Int32(MR_RESTART) }
        readSettings()
        proxies.reconfigure()
        return Int32(MR_OK)
    }

    func stop() {
        for l in listeners { host.table.listener_close(l) }
        listeners.removeAll()
        proxies.stop()
    }

    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? { RtmpSession(plugin: self, conn: conn) }

    func makeMuxer(for ring: OpaquePointer) -> RingMuxer? { RtmpRingMuxer.make(host: host, ring: ring, legacyHEVC: settings.legacyHEVC) }
}
