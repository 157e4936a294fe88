import MRPluginKit
import PluginABI
import RtspProtocol

/// A pull (remote RTSP stream into the bus, over TCP or UDP) or a push (bus stream to a remote RTSP server
/// with ANNOUNCE/RECORD), kept connected by a ProxyLink.
final class RtspProxy: @unchecked Sendable {
    enum Mode { case pull, push }

    let host: PluginHost
    let mode: Mode
    let url: RtspURL
    let urlText: String
    let app: String
    let stream: String
    let udp: Bool
    private(set) var udpPorts: RtspUdpPorts?
    private var link: ProxyLink?
    /// The plugin's "rtsp" muxer factory, for a push's reader.
    let muxerFactory: RingMuxerFactory

    /// "app/stream=rtsp://[user:pass@]host[:port]/path".
    init?(plugin: RtspPlugin, mode: Mode, spec: String) {
        guard let parsed = ProxySpec(spec), let url = RtspURL(parsed.url) else { return nil }
        self.host = plugin.host
        self.muxerFactory = plugin
        self.mode = mode
        self.url = url
        self.urlText = parsed.url
        self.app = parsed.app
        self.stream = parsed.stream
        self.udp = mode == .pull && plugin.settings.pullTransport == .udp
    }

    /// The URL without credentials, for logs and requests.
    var requestURL: String { url.string }

    var label: String { "\(mode == .pull ? "pull" : "push") \(app)/\(stream) \(mode == .pull ? "<-" : "->") \(requestURL)" }

    /// [control] Starts connecting (binding the client UDP pair of a UDP pull first).
    func start() {
        var loop: Int32 = -1
        if udp {
            loop = Int32(UInt32.random(in: 0..<UInt32(max(1, host.loopCount))))
            udpPorts = RtspUdpPorts.bindAny(host: host, loop: loop)
            if udpPorts == nil { host.log(MR_LOG_ERROR, "\(label): cannot bind client UDP ports; pulling over TCP instead") }
        }
        let l = ProxyLink(host: host, label: label, connectTo: url.host, port: url.port, tls: url.isSecure, loop: loop) { [weak self] _, conn in
            self.map { RtspClientSession(proxy: $0, conn: conn) }
        }
        link = l
        l.start()
    }

    func failed(_ why: String) { link?.failed(why) }
    func streaming() { link?.streaming() }

    func stop() {
        link?.stop()   // the UDP pair is closed by the host on its loop
    }
}
