import MRPluginKit
import PluginABI
import RtspProtocol

/// A pull (remote RTSP stream into the bus, over TCP or UDP) or a push (bus stream to a remote RTSP server
/// with ANNOUNCE/RECORD), kept connected by a ProxyLink.
final class RtspProxy: ManagedProxy, ProxyConnectionMaker, @unchecked Sendable {
    let host: PluginHost
    let request: ProxyRequest
    let url: RtspURL
    let udp: Bool
    /// The loop of a UDP pull's connections: the client port pair belongs to it.
    private let loop: Int32
    /// Set in `start` before the first connection; read by the sessions on `loop`.
    private(set) var udpPorts: RtspUdpPorts?
    private let link: ProxyLink
    /// The plugin's "rtsp" muxer factory, for a push's reader.
    let muxerFactory: RingMuxerFactory

    /// nil when the URL is not rtsp:// or rtsps://.
    init?(plugin: RtspPlugin, request: ProxyRequest) {
        guard let url = RtspURL(request.url) else { return nil }
        self.host = plugin.host
        self.muxerFactory = plugin
        self.request = request
        self.url = url
        let transport = request.transport ?? (plugin.settings.pullTransport == .udp ? "udp" : "tcp")
        udp = request.mode == .pull && transport == "udp"
        loop = udp ? Int32(UInt32.random(in: 0..<UInt32(max(1, plugin.host.loopCount)))) : -1
        link = ProxyLink(host: plugin.host, request: request, label: request.label(url: url.string), connectTo: url.host, port: url.port,
                         tls: url.isSecure, loop: loop)
        link.maker = self
    }

    var label: String { link.label }
    /// The URL without credentials, for logs and requests.
    var requestURL: String { url.string }

    func makeHandler(_ link: ProxyLink, _ conn: OpaquePointer) -> ConnectionHandler? { RtspClientSession(proxy: self, conn: conn) }

    /// [control or worker] Binds the client UDP pair of a UDP pull, then starts connecting.
    func start() {
        if udp {
            udpPorts = RtspUdpPorts.bindAny(host: host, loop: loop)
            if udpPorts == nil { host.log(MR_LOG_ERROR, "\(label): cannot bind client UDP ports; pulling over TCP instead") }
        }
        link.start()
    }

    func failed(_ why: String) { link.failed(why) }
    func streaming() { link.streaming() }

    func stop() {
        link.stop()
        // The pair belongs to its loop; a plugin that stops has the host close it there anyway.
        guard let ports = udpPorts else { return }
        host.onLoop(loop) { ports.close() }
    }
}
