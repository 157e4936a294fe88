import CSrt
import MRPluginKit
import PluginABI
import SrtProtocol

/// The plugin: libsrt's listener on the port, the poller thread, the sessions, the proxies and the stats timer.
final class SrtPlugin: PluginLifecycle, PluginStatusReporting, @unchecked Sendable {
    let host: PluginHost
    private let proxies: ProxyRegistry
    /// [control] What start opened; the proxies' factory reads the context under the lock.
    private let running = LockedValue<SrtContext?>(nil)
    private var listener: SrtListener?
    private var statsTimer: OpaquePointer?
    private var listenIdentity: [String] = []

    init(_ host: PluginHost) {
        self.host = host
        let running = self.running
        proxies = ProxyRegistry(host: host, name: "srt", expected: "srt://host:port?streamid=...") { request in
            running.withLock { $0 }.flatMap { SrtProxy(context: $0, request: request) }
        }
    }

    func start() -> Int32 {
        guard SrtLibrary.start(host) else {
            host.log(MR_LOG_ERROR, "libsrt failed to start: \(SrtLibrary.lastError)")
            return Int32(MR_ERR)
        }
        let (settings, problems) = SrtSettings.read(host)
        problems.forEach { host.log(MR_LOG_ERROR, $0) }
        guard let poller = SrtPoller() else {
            host.log(MR_LOG_ERROR, "cannot create an SRT epoll: \(SrtLibrary.lastError)")
            return Int32(MR_ERR)
        }
        let context = SrtContext(host: host, poller: poller, admission: SrtAdmission(host: host, settings: settings))
        guard poller.start() else { return Int32(MR_ERR) }
        running.withLock { $0 = context }
        guard let l = SrtListener(host: host, settings: settings, admission: context.admission,
                                  accepted: { [weak self] sock, peer in self?.accepted(sock, peer: peer) }),
              poller.add(l.sock, events: SrtPoller.inputEvents, owner: l) else {
            return Int32(MR_ERR_IO)
        }
        listener = l
        listenIdentity = settings.listenIdentity
        host.log(MR_LOG_INFO, "listening on \(settings.bind):\(settings.port)/udp (latency \(settings.latencyMs) ms, "
                 + "\(settings.passphrases.rules.count) passphrase rules\(settings.passphrases.fallback.isEncrypted ? ", default passphrase set" : ""))")
        statsTimer = host.table.timer_start(host.host, 0, Int64(settings.statsIntervalMs), Int64(settings.statsIntervalMs), { user, _ in
            PluginBox.borrow(user, as: SrtPlugin.self)?.sampleStats()
        }, PluginBox.unretained(self))
        proxies.offerCommands(pushes: true)
        SrtSessionCommands.offer(host) { [running] in running.withLock { $0 } }
        proxies.start()
        return Int32(MR_OK)
    }

    func reconfigure() -> Int32 {
        let (settings, problems) = SrtSettings.read(host)
        guard settings.listenIdentity == listenIdentity, let context = running.withLock({ $0 }) else { return Int32(MR_RESTART) }
        problems.forEach { host.log(MR_LOG_ERROR, $0) }
        // New callers see the new passphrases and limits at once; connected ones keep theirs.
        context.admission.replace(settings)
        proxies.reconfigure()
        return Int32(MR_OK)
    }

    func stop() {
        proxies.stop()
        if let t = statsTimer {
            host.onLoop(0) { [host] in host.table.timer_cancel(t) }
        }
        statsTimer = nil
        listener?.close()
        listener = nil
        guard let context = running.withLock({ c in defer { c = nil }; return c }) else { return }
        context.poller.stop()
        for s in context.all { s.closeOnLoop("server stopping") }
        SrtLibrary.detach()
    }

    /// [poller thread] A caller passed the listen callback: its session starts on a loop.
    private func accepted(_ sock: SRTSOCKET, peer: String) {
        guard let context = running.withLock({ $0 }) else { srt_close(sock); return }
        // Parsed again here (cheap): the listen callback kept nothing.
        guard case .success(let id) = SrtStreamId.parse(bytes: SrtLibrary.streamId(sock)) else {
            srt_close(sock)
            return
        }
        let loop = context.pickLoop()
        let session: SrtSession
        if id.mode == .publish {
            session = SrtPublisher(context: context, sock: sock, loop: loop, peer: peer, target: .init(
                vhost: id.vhost, app: id.app, stream: id.stream, query: id.query, user: id.user, password: id.password,
                protocolName: "srt", needsAuth: true))
        } else {
            session = SrtPlayer(context: context, sock: sock, loop: loop, peer: peer, target: .init(
                vhost: id.vhost, app: id.app, stream: id.stream, query: id.query, user: id.user, password: id.password,
                protocolName: "srt", needsAuth: true))
        }
        context.register(session)
        host.log(MR_LOG_INFO, "\(session.label): accepted (streamid \(id.dialect.rawValue) form)")
        if !host.onLoop(loop, { session.begin() }) {
            context.unregister(session)
            srt_close(sock)
        }
    }

    /// [loop 0] libsrt's counters of every connection into the plugin stats (/metrics, plugin list).
    private func sampleStats() {
        guard let context = running.withLock({ $0 }) else { return }
        let sessions = context.all
        var rttSum = 0.0, rttMax = 0.0, bufferMax = 0, sendBufferMax = 0, latencyMax = 0, recvMbps = 0.0, sendMbps = 0.0
        for s in sessions {
            if let rtt = s.stats.sample(s.sock, host: host) { context.admission.measured(peer: s.peer, rttMs: rtt) }
            let v = s.stats.current
            rttSum += v.rttMs
            rttMax = max(rttMax, v.rttMs)
            bufferMax = max(bufferMax, v.recvBufferMs)
            sendBufferMax = max(sendBufferMax, v.sendBufferMs)
            latencyMax = max(latencyMax, v.latencyMs)
            recvMbps += v.recvMbps
            sendMbps += v.sendMbps
        }
        host.stat("sessions", set: Int64(sessions.count))
        host.stat("publishers", set: Int64(sessions.filter { $0 is SrtPublisher }.count))
        host.stat("players", set: Int64(sessions.filter { $0 is SrtPlayer }.count))
        host.stat("rtt_ms_avg", set: sessions.isEmpty ? 0 : Int64(rttSum / Double(sessions.count)))
        host.stat("rtt_ms_max", set: Int64(rttMax))
        host.stat("recv_buffer_ms_max", set: Int64(bufferMax))
        host.stat("send_buffer_ms_max", set: Int64(sendBufferMax))
        host.stat("latency_ms_max", set: Int64(latencyMax))
        host.stat("recv_rate_kbps", set: Int64(min(recvMbps * 1000, 1e12)))
        host.stat("send_rate_kbps", set: Int64(min(sendMbps * 1000, 1e12)))
    }

    var statusLine: String {
        guard let context = running.withLock({ $0 }) else { return "stopped" }
        let sessions = context.all
        let publishers = sessions.filter { $0 is SrtPublisher }.count
        let values = sessions.map { $0.stats.current }
        let rtt = values.map(\.rttMs).max() ?? 0
        let lost = values.reduce(0) { $0 + $1.lost }, retrans = values.reduce(0) { $0 + $1.retransmitted + $1.retransmittedReceived }
        return "udp \(context.settings.port): \(publishers) publishers, \(sessions.count - publishers) players, "
            + "max rtt \(Int(rtt)) ms, lost \(lost), retransmitted \(retrans)"
    }
}
