import CSrt
import MRPluginKit
import PluginABI
import SrtProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A pull (`srt://` into the bus, a publisher session) or push (a bus stream out, a player session), kept
/// connected: after a failure it waits 1 s, then 2, 4, ... up to 30 s (1 s again once a connection has
/// worked), and gives up after `retry_count` failures in a row unless that is -1. The connect is
/// non-blocking: the poller sees the socket writable (connected) or broken (refused, with libsrt's reject
/// reason in the proxy's last error).
final class SrtProxy: ManagedProxy, SrtSocketOwner, @unchecked Sendable {
    let request: ProxyRequest
    let url: SrtURL
    private let context: SrtContext
    private let label: String
    private let state = LockedValue<(sock: SRTSOCKET?, session: SrtSession?, stopped: Bool, backoffMs: Int64, failures: Int)>(
        (nil, nil, false, 1000, 0))
    private var host: PluginHost { context.host }

    init?(context: SrtContext, request: ProxyRequest) {
        guard let url = SrtURL(request.url, publishing: request.mode == .push) else { return nil }
        self.context = context
        self.request = request
        self.url = url
        label = request.label(url: "srt://\(url.host):\(url.port)")
    }

    func start() { connect() }

    /// Off the loops (control thread or a worker): the name lookup may block.
    private func connect() {
        guard !state.withLock({ $0.stopped }) else { return }
        request.update { if $0.state != .retrying { $0.state = .connecting } }
        guard let sock = SrtLibrary.socket(context.settings, latencyMs: url.latencyMs) else { return failed("cannot create a socket: \(SrtLibrary.lastError)") }
        if let sid = url.streamId, !SrtLibrary.set(sock, SRTO_STREAMID, sid) { srt_close(sock); return failed("bad streamid") }
        // A push only sends, as a caller's player does on the listener.
        if request.mode == .push { SrtLibrary.sizeBuffersForSending(sock, sendBufferBytes: context.settings.playerSendBufferBytes) }
        if !url.passphrase.isEmpty {
            guard SrtLibrary.set(sock, SRTO_PASSPHRASE, url.passphrase),
                  url.keyLength == 0 || SrtLibrary.set(sock, SRTO_PBKEYLEN, Int32(url.keyLength)) else {
                srt_close(sock)
                return failed("bad passphrase or pbkeylen: \(SrtLibrary.lastError)")
            }
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(url.host, String(url.port), &hints, &res) == 0, let ai = res else {
            srt_close(sock)
            return failed("cannot resolve \(url.host)")
        }
        defer { freeaddrinfo(res) }
        let stopped = state.withLock { s -> Bool in
            if !s.stopped { s.sock = sock }
            return s.stopped
        }
        guard !stopped else { srt_close(sock); return }
        guard context.poller.add(sock, events: SrtPoller.outputEvents, owner: self),
              srt_connect(sock, ai.pointee.ai_addr, Int32(ai.pointee.ai_addrlen)) != SRT_ERROR else {
            let why = SrtLibrary.lastError
            dropSocket(sock)
            return failed("connect failed: \(why)")
        }
    }

    /// [poller thread] The connect finished one way or the other.
    func ready(_ sock: SRTSOCKET, events: Int32) {
        guard state.withLock({ $0.sock == sock }) else { return }
        if srt_getsockstate(sock) == SRTS_CONNECTED, events & Int32(SRT_EPOLL_OUT.rawValue) != 0 {
            context.poller.remove(sock)
            return connected(sock)
        }
        guard events & Int32(SRT_EPOLL_ERR.rawValue) != 0 else { return }
        let reason = SrtRejectCode(rawValue: srt_getrejectreason(sock))
        dropSocket(sock)
        failed("refused or unreachable: reject reason \(reason.description)")
    }

    private func dropSocket(_ sock: SRTSOCKET) {
        context.poller.remove(sock)
        srt_close(sock)
        state.withLock { if $0.sock == sock { $0.sock = nil } }
    }

    private func connected(_ sock: SRTSOCKET) {
        let loop = context.pickLoop()
        let peer = "\(url.host):\(url.port)"
        let session: SrtSession
        if request.mode == .pull {
            let p = SrtPublisher(context: context, sock: sock, loop: loop, peer: peer, target: .init(
                vhost: request.busVhost, app: request.app, stream: request.stream, query: "", user: nil, password: nil,
                protocolName: "srt-pull", needsAuth: false))
            p.onPublishing = { [self] in online() }
            session = p
        } else {
            let p = SrtPlayer(context: context, sock: sock, loop: loop, peer: peer, target: .init(
                vhost: request.busVhost, app: request.app, stream: request.stream, query: "", user: nil, password: nil,
                protocolName: "srt-push", needsAuth: false))
            p.onPlaying = { [self] in online() }
            session = p
        }
        session.onClose = { [self] why in
            state.withLock { if $0.session === session { ($0.session, $0.sock) = (nil, nil) } }
            failed(why)
        }
        let stopped = state.withLock { s -> Bool in
            if !s.stopped { s.session = session }
            return s.stopped
        }
        if stopped { srt_close(sock); return }
        context.register(session)
        host.onLoop(loop) { session.begin() }
    }

    private func online() {
        state.withLock { ($0.failures, $0.backoffMs) = (0, 1000) }
        let now = host.table.now_us()
        request.update { s in
            if s.state != .online { s.onlineSinceUs = now }
            s.state = .online
        }
        host.log(MR_LOG_INFO, "\(label): online")
    }

    private func failed(_ why: String) {
        let (stopped, failures, backoff) = state.withLock { s -> (Bool, Int, Int64) in
            s.failures += 1
            defer { s.backoffMs = min(s.backoffMs * 2, 30_000) }
            return (s.stopped, s.failures, s.backoffMs)
        }
        guard !stopped else { return }
        if request.retryCount >= 0, failures > request.retryCount {
            request.update { $0.state = .failed; $0.lastError = why; $0.onlineSinceUs = 0 }
            return host.log(MR_LOG_ERROR, "\(label): \(why); giving up after \(failures) failed attempts (retry_count \(request.retryCount))")
        }
        request.update { $0.state = .retrying; $0.reconnects += 1; $0.lastError = why; $0.onlineSinceUs = 0 }
        host.log(MR_LOG_WARNING, "\(label): \(why); retrying in \(backoff) ms")
        _ = host.table.timer_start(host.host, -1, backoff, 0, { user, _ in
            guard let user else { return }
            let proxy = Unmanaged<SrtProxy>.fromOpaque(user).takeRetainedValue()
            if !proxy.host.onWorker({ proxy.connect() }) { proxy.connect() }
        }, Unmanaged.passRetained(self).toOpaque())
    }

    func stop() {
        let (sock, session) = state.withLock { s -> (SRTSOCKET?, SrtSession?) in
            s.stopped = true
            defer { (s.sock, s.session) = (nil, nil) }
            return (s.sock, s.session)
        }
        request.update { $0.state = .stopped; $0.onlineSinceUs = 0 }
        if let session {
            session.closeOnLoop("proxy stopped")
        } else if let sock {
            context.poller.remove(sock)
            srt_close(sock)
        }
    }
}
