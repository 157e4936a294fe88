import HttpProtocol
import MRPluginKit
import PluginABI

/// A pull of a remote HLS stream (MPEG-TS segments over http or https) into the bus, configured like the RTMP
/// and RTSP pulls ("app/stream=<url>" in `pull`, or the `hls.proxy.add` command) and kept going by a
/// ProxyLink: the link opens the first connection of each attempt and retries with backoff after a
/// failure; the attempt itself (a session) makes its further requests over connections of its own.
final class HlsPullProxy: ManagedProxy, ProxyConnectionMaker, @unchecked Sendable {
    let host: PluginHost
    let request: ProxyRequest
    let url: HttpURL
    private let link: ProxyLink
    /// The running attempt, set on its loop and read by `stop` on the control thread.
    private let state = LockedValue<(session: HlsPullSession?, stopped: Bool)>((nil, false))

    /// A pull of http[s]://host[:port]/path.m3u8; nil for anything else. Over https the server's
    /// certificate is checked only when `proxy_tls_verify` is set (ProxyLink).
    init?(host: PluginHost, request: ProxyRequest) {
        guard request.mode == .pull, let url = HttpURL(request.url) else { return nil }
        self.host = host
        self.request = request
        self.url = url
        link = ProxyLink(host: host, request: request, label: request.label(url: url.string), connectTo: url.host, port: url.port, tls: url.secure)
        link.maker = self
    }

    var label: String { link.label }

    func start() { link.start() }

    /// On the new connection's loop: a new attempt whose first request goes over it.
    func makeHandler(_ link: ProxyLink, _ conn: OpaquePointer) -> ConnectionHandler? {
        let session = HlsPullSession(proxy: self, loop: host.table.conn_loop(conn))
        let ok = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.session = session
            return true
        }
        return ok ? session.firstFetch(link: link) : nil
    }

    func streaming() { link.streaming() }

    /// On the session's loop, from `HlsPullSession.end`.
    func ended(_ session: HlsPullSession, _ why: String, retry: Bool) {
        let stopped = state.withLock { s -> Bool in
            if s.session === session { s.session = nil }
            return s.stopped
        }
        guard !stopped else { return }
        if retry {
            link.failed(why)
        } else {
            host.log(MR_LOG_INFO, "\(label): \(why)")
        }
    }

    /// Control thread: no more attempts; the running one ends on its loop (tasks queued in a plugin's stop
    /// run before it is destroyed).
    func stop() {
        let session = state.withLock { s -> HlsPullSession? in
            s.stopped = true
            return s.session
        }
        link.stop()
        guard let session else { return }
        host.onLoop(session.loop) { session.end("stopped", retry: false) }
    }
}
