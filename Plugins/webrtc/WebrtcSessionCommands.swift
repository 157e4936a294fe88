import MRPluginKit
import PluginABI
import WebRtcProtocol

/// `webrtc.session.list` and `webrtc.session.kick`, which the declaration's `"sessions": true` promises: the
/// management core's getAllSession, kick_session and getMediaList's origin reach WebRTC peers (which the host
/// sees only as datagrams) through them. Handlers run on the caller's thread: they read the locked session
/// table and each session's published counters; a kick hops to the session's own loop.
enum WebrtcSessionCommands {
    /// [control]
    static func offer(_ host: PluginHost, context: @escaping @Sendable () -> WebrtcContext?) {
        host.offerCommand("webrtc.session.list") { _, reply in
            guard let c = context() else { return reply.answer(["sessions": [Any]()]) }
            reply.answer(["sessions": c.table.all.sorted { $0.id < $1.id }.map { item($0, local: c.localAddress) }])
        }
        host.offerCommand("webrtc.session.kick") { args, reply in
            guard let id = args["id"] as? String, let c = context(), let session = c.table.session(id: id) else {
                return reply.answer(["found": false])
            }
            let queued = host.onLoop(session.loop) { session.close("kicked through the API") }
            reply.answer(["found": queued])
        }
    }

    /// One session in the shape PluginSessions reads; the id is the one in its WHIP/WHEP Location.
    static func item(_ s: WebrtcSession, local: TransportAddress) -> [String: Any] {
        let counters = s.published.withLock { $0 }
        return PluginSessionItem(id: s.id, peer: PluginSessionItem.split(counters.peer.isEmpty ? s.target.peer : counters.peer),
                                 local: ("\(local.ip)", Int(local.port)), vhost: s.target.vhost ?? "", app: s.target.app,
                                 stream: s.target.stream, role: s.publishing ? "publisher" : "player", protocolName: "webrtc",
                                 stats: counters.report(publishing: s.publishing)).dictionary
    }
}
