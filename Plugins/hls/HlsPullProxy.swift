import HttpProtocol
import MRPluginKit
import PluginABI

/// A pull of a remote HLS stream (MPEG-TS segments over plain http) into the bus, configured like the RTMP
/// and RTSP pulls ("app/stream=<url>" in `pull`) and kept going by a ProxyLink: the link opens the first
/// connection of each attempt and retries with backoff after a failure; the attempt itself (a session)
/// makes its further requests over connections of its own.
final class HlsPullProxy: @unchecked Sendable {
    let host: PluginHost
    let url: HttpURL
    let app: String
    let stream: String
    private var link: ProxyLink?
    /// The running attempt, set on its loop and read by `stop` on the control thread.
    private let state = LockedValue<(session: HlsPullSession?, stopped: Bool)>((nil, false))

    /// "app/stream=http://host[:port]/path.m3u8"; nil for anything else (https is refused by the caller).
    init?(host: PluginHost, spec: String) {
        guard let parsed = ProxySpec(spec), let url = HttpURL(parsed.url), !url.secure else { return nil }
        self.host = host
        self.url = url
        self.app = parsed.app
        self.stream = parsed.stream
    }

    var label: String { "pull \(app)/\(stream) <- \(url.string)" }

    func start() {
        let l = ProxyLink(host: host, label: label, connectTo: url.host, port: url.port) { [weak self] link, conn in
            self?.begin(link: link, conn: conn)
        }
        link = l
        l.start()
    }

    /// On the new connection's loop: a new attempt whose first request goes over it.
    private func begin(link: ProxyLink, conn: OpaquePointer) -> ConnectionHandler? {
        let session = HlsPullSession(proxy: self, loop: host.table.conn_loop(conn))
        let ok = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.session = session
            return true
        }
        return ok ? session.firstFetch(link: link) : nil
    }

    func streaming() { link?.streaming() }

    /// On the session's loop, from `HlsPullSession.end`.
    func ended(_ session: HlsPullSession, _ why: String, retry: Bool) {
        let stopped = state.withLock { s -> Bool in
            if s.session === session { s.session = nil }
            return s.stopped
        }
        guard !stopped else { return }
        if retry {
            link?.failed(why)
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
        link?.stop()
        guard let session else { return }
        let rc = host.table.run_on_loop(host.host, session.loop, { user in
            guard let user else { return }
            Unmanaged<HlsPullSession>.fromOpaque(user).takeRetainedValue().end("stopped", retry: false)
        }, Unmanaged.passRetained(session).toOpaque())
        if rc != MR_OK { Unmanaged.passUnretained(session).release() }
    }
}
