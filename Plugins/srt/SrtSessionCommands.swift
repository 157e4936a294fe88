import CSrt
import Foundation
import MRPluginKit
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// `srt.session.list` and `srt.session.kick`, which the declaration's `"sessions": true` promises: the
/// management core's getAllSession, kick_session and getMediaList's origin reach SRT connections through
/// them. Handlers run on the caller's thread (a loop): they read the locked session table and libsrt, whose
/// calls are thread-safe, and a kick hops to the session's own loop.
enum SrtSessionCommands {
    /// [control]
    static func offer(_ host: PluginHost, context: @escaping @Sendable () -> SrtContext?) {
        host.offerCommand("srt.session.list") { _, reply in
            reply.answer(["sessions": (context()?.all ?? []).map(item)])
        }
        host.offerCommand("srt.session.kick") { args, reply in
            let id = (args["id"] as? String).flatMap { Int32($0) }
            guard let session = context()?.all.first(where: { id == $0.sock }) else { return reply.answer(["found": false]) }
            session.closeOnLoop("kicked through the API")
            reply.answer(["found": true])
        }
    }

    /// One session in the shape PluginSessions reads; the id is libsrt's socket id.
    static func item(_ s: SrtSession) -> [String: Any] {
        let (peerIP, peerPort) = split(s.peer)
        let (localIP, localPort) = split(SrtLibrary.local(s.sock))
        let i = s.identity
        return ["id": "\(s.sock)", "peer_ip": peerIP, "peer_port": peerPort, "local_ip": localIP, "local_port": localPort,
                "vhost": i.vhost ?? "", "app": i.app, "stream": i.stream, "role": i.role.rawValue, "protocol": i.protocolName,
                "stats": s.stats.report(s.sock)]
    }

    /// "ip:port" (IPv6 addresses have colons of their own: the port is after the last).
    static func split(_ address: String) -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return (address, 0) }
        return (String(address[..<colon]), port)
    }
}
