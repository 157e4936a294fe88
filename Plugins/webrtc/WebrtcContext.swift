import MRPluginKit
import PluginABI
import WebRtcProtocol

/// What every session shares: the sockets (one per loop, same port), the certificate, the session table.
final class WebrtcContext {
    let host: PluginHost
    let settings: WebrtcSettings
    let certificate: DtlsCertificate
    /// Makes the "webrtc.rtp" ring a player reads (the plugin, which outlives every ring and context).
    unowned let ringMuxers: RingMuxerFactory
    /// sockets[i] belongs to loop i: a session sends on its own loop's socket.
    let sockets: [OpaquePointer]
    let table = WebrtcSessionTable(limit: 2_000)
    /// The address checks are keyed by (the socket is bound to one port on every address).
    let localAddress: TransportAddress

    init(host: PluginHost, settings: WebrtcSettings, certificate: DtlsCertificate, sockets: [OpaquePointer], ringMuxers: RingMuxerFactory) {
        self.host = host
        self.ringMuxers = ringMuxers
        self.settings = settings
        self.certificate = certificate
        self.sockets = sockets
        localAddress = TransportAddress(ip: settings.candidates.first ?? IpAddress(v4: 0, 0, 0, 0), port: UInt16(settings.port))
    }

    /// Datagrams of one session queued to its loop from another loop's socket at most.
    static let maxHopsInFlight = 1024

    var candidates: [TransportAddress] { settings.candidates.map { TransportAddress(ip: $0, port: UInt16(settings.port)) } }

    /// [any loop] A datagram on the shared port: STUN finds its session by the local ufrag (the part of USERNAME
    /// before ':'), anything else by the sender's address once a check passed there; the session runs on its
    /// own loop, so a datagram that arrived on another loop's socket hops there.
    func route(_ data: UnsafeBufferPointer<UInt8>, from: UnsafePointer<sockaddr>?, _ fromLength: socklen_t) {
        guard let peer = WebrtcPeerAddress(from, fromLength) else { return }
        let bytes = Array(data)
        let session: WebrtcSession?
        if DatagramKind(bytes[...]) == .stun {
            let username = (try? StunMessage(parsing: bytes[...]))?.username
            session = username.flatMap { $0.split(separator: ":", maxSplits: 1).first }.flatMap { table.session(ufrag: String($0)) }
        } else {
            session = table.session(address: peer.transport)
        }
        guard let session else {
            host.stat("datagrams_dropped", add: 1)
            return
        }
        if host.currentLoop == Int(session.loop) {
            session.receive(bytes, from: peer)
        } else {
            // Bounded: a peer flooding another loop's socket cannot queue without limit.
            guard session.hopsInFlight.withLock({ n in
                guard n < Self.maxHopsInFlight else { return false }
                n += 1
                return true
            }) else {
                host.stat("datagrams_dropped", add: 1)
                return
            }
            let queued = host.onLoop(session.loop) {
                session.hopsInFlight.withLock { $0 -= 1 }
                session.receive(bytes, from: peer)
            }
            if !queued { session.hopsInFlight.withLock { $0 -= 1 } }
        }
    }
}
