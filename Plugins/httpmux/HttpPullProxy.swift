import HttpProtocol
import MRPluginKit
import PluginABI

/// A pull of a live HTTP-FLV or HTTP-TS stream (http://host[:port]/path.flv or .ts, one endless GET) into
/// the bus, configured like the other pulls (`pull` entries, `httpmux.proxy.add`) and kept connected by a
/// ProxyLink: each connection gets an HttpPullSession; its end is retried with backoff.
final class HttpPullProxy: ManagedProxy, ProxyConnectionMaker, @unchecked Sendable {
    /// The container, told by the path's extension (ZLMediaKit's `.live.flv` / `.live.ts` included).
    enum Format {
        case flv, ts

        init?(target: String) {
            let path = target.lowercased().prefix { $0 != "?" && $0 != "#" }
            if path.hasSuffix(".flv") {
                self = .flv
            } else if path.hasSuffix(".ts") {
                self = .ts
            } else {
                return nil
            }
        }

        var label: String { self == .flv ? "HTTP-FLV" : "HTTP-TS" }
        var protocolName: String { self == .flv ? "http-flv-pull" : "http-ts-pull" }
    }

    let host: PluginHost
    let request: ProxyRequest
    let url: HttpURL
    let format: Format
    private let link: ProxyLink

    /// nil for anything but an http[s]:// URL ending in .flv or .ts. Over https the server's certificate is
    /// checked only when `proxy_tls_verify` is set (ProxyLink).
    init?(host: PluginHost, request: ProxyRequest) {
        guard request.mode == .pull, let url = HttpURL(request.url), let format = Format(target: url.target) else { return nil }
        self.host = host
        self.request = request
        self.url = url
        self.format = format
        link = ProxyLink(host: host, request: request, label: request.label(url: url.string), connectTo: url.host, port: url.port, tls: url.secure)
        link.maker = self
    }

    var label: String { link.label }

    func makeHandler(_ link: ProxyLink, _ conn: OpaquePointer) -> ConnectionHandler? { HttpPullSession(proxy: self, conn: conn) }

    func start() { link.start() }
    func failed(_ why: String) { link.failed(why) }
    func online() { link.online() }
    func streaming() { link.streaming() }
    func stop() { link.stop() }
}
