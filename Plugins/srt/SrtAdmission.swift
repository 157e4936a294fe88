import CSrt
import MRPluginKit
import PluginABI
import SrtProtocol

/// The checks made in libsrt's listen callback, on libsrt's receive thread, before a caller is accepted:
/// only fast ones, from memory (streamid syntax and mode, the connection limit, a stream this plugin already
/// publishes, the stream's passphrase). The auth question (hooks) comes after accept, on a loop.
final class SrtAdmission: @unchecked Sendable {
    private let host: PluginHost
    private let settings: LockedValue<SrtSettings>
    /// The streams this plugin's sessions publish, and the number of connections, kept by the sessions.
    private let live = LockedValue<(publishing: SrtPublishingStreams, connections: Int)>((SrtPublishingStreams(), 0))
    /// libsrt's RTT of recent connections by peer address, for the latency offered to the next caller.
    private let rtts = LockedValue(SrtPeerRtts())

    init(host: PluginHost, settings: SrtSettings) {
        self.host = host
        self.settings = LockedValue(settings)
    }

    var current: SrtSettings { settings.withLock { $0 } }
    func replace(_ s: SrtSettings) { settings.withLock { $0 = s } }

    static func key(_ id: SrtStreamId) -> String { "\(id.vhost ?? "")/\(id.app)/\(id.stream)" }

    /// The verdict on a caller: nil accepts (after setting its passphrase), else the reject code.
    func check(_ sock: SRTSOCKET, peer: String, streamId bytes: [UInt8]) -> SrtRejectCode? {
        let s = current
        let id: SrtStreamId
        switch SrtStreamId.parse(bytes: bytes) {
        case .success(let parsed): id = parsed
        case .failure(let f):
            return refuse(f.rejectCode, peer, "\(f.reason) (streamid '\(Self.printable(bytes))')")
        }
        let now = nowMs
        let (silence, full) = live.withLock { ($0.publishing.silence(Self.key(id), nowMs: now), $0.connections >= s.maxConnections) }
        if full { return refuse(.overload, peer, "\(s.maxConnections) connections already (max_connections)") }
        if id.mode == .publish, let silence, !s.takeover {
            guard s.replacesSilentPublisher(after: silence) else {
                return refuse(.conflict, peer, "\(id.app)/\(id.stream) is already published over SRT")
            }
            host.log(MR_LOG_INFO, "caller \(peer) replaces the publisher of \(id.app)/\(id.stream), silent for \(silence) ms")
        }
        if id.mode == .request { SrtLibrary.sizeBuffersForSending(sock, sendBufferBytes: s.playerSendBufferBytes) }
        if let code = offerLatency(sock, peer: peer, settings: s) { return code }
        let secret = s.passphrases.secret(app: id.app, stream: id.stream, mode: id.mode)
        if secret.isEncrypted {
            // libsrt then checks the caller's key itself and refuses with BADSECRET or UNSECURE.
            guard SrtLibrary.set(sock, SRTO_PASSPHRASE, secret.passphrase),
                  secret.keyLength == 0 || SrtLibrary.set(sock, SRTO_PBKEYLEN, Int32(secret.keyLength)) else {
                return refuse(.internalError, peer, "cannot set the passphrase of \(id.app)/\(id.stream): \(SrtLibrary.lastError)")
            }
        }
        return nil
    }

    /// ZLMediaKit's latencyMul: a peer whose RTT is known gets max(latency, RTT × latency_mul); libsrt then
    /// agrees on the larger of that and the caller's own latency. Set on the accepted socket before libsrt
    /// answers the handshake (the listener's value is inherited otherwise).
    private func offerLatency(_ sock: SRTSOCKET, peer: String, settings s: SrtSettings) -> SrtRejectCode? {
        let ip = SrtPeerRtts.address(peer)
        let now = nowMs
        guard let rtt = rtts.withLock({ $0.rtt(ip, nowMs: now) }) else { return nil }
        let offered = SrtLatency.offered(configuredMs: s.latencyMs, multiplier: s.latencyMul, rttMs: rtt)
        guard offered > s.latencyMs else { return nil }
        guard SrtLibrary.set(sock, SRTO_LATENCY, Int32(offered)) else {
            return refuse(.internalError, peer, "cannot set the latency: \(SrtLibrary.lastError)")
        }
        host.log(MR_LOG_INFO, "caller \(peer): latency \(offered) ms offered (RTT \(Int(rtt.rounded())) ms x latency_mul \(s.latencyMul))")
        return nil
    }

    /// [any thread] A connected session's RTT, remembered for its address's next connections.
    func measured(peer: String, rttMs: Double) {
        let now = nowMs
        rtts.withLock { $0.record(SrtPeerRtts.address(peer), rttMs: rttMs, nowMs: now) }
    }

    private func refuse(_ code: SrtRejectCode, _ peer: String, _ why: String) -> SrtRejectCode {
        host.stat("refused", add: 1)
        host.log(MR_LOG_WARNING, "refused \(peer): \(why) -> reject \(code.description)")
        return code
    }

    /// A streamid for the log: at most 80 characters, control and non-ASCII bytes as '.'.
    static func printable(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(80).map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." }
        return String(shown) + (bytes.count > 80 ? "…(\(bytes.count) bytes)" : "")
    }

    // MARK: bookkeeping of the sessions (any thread)

    func connectionOpened() { live.withLock { $0.connections += 1 } }
    func connectionClosed() { live.withLock { $0.connections -= 1 } }
    func publishing(_ key: String, _ on: Bool, owner: AnyObject) {
        let now = nowMs, id = ObjectIdentifier(owner)
        live.withLock { if on { $0.publishing.opened(key, owner: id, nowMs: now) } else { $0.publishing.closed(key, owner: id) } }
    }
    /// [poller thread] The holder of `key` brought data now.
    func received(_ key: String, owner: AnyObject) {
        let now = nowMs, id = ObjectIdentifier(owner)
        live.withLock { $0.publishing.received(key, owner: id, nowMs: now) }
    }
    /// How long the holder of `key` has been silent (ms), nil when nobody publishes it.
    func silence(_ key: String) -> Int64? {
        let now = nowMs
        return live.withLock { $0.publishing.silence(key, nowMs: now) }
    }
    private var nowMs: Int64 { host.table.now_us() / 1000 }
    var connections: Int { live.withLock { $0.connections } }
}
