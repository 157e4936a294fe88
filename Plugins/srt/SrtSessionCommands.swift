import CSrt
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
        let i = s.identity
        return PluginSessionItem(id: "\(s.sock)", peer: PluginSessionItem.split(s.peer), local: PluginSessionItem.split(SrtLibrary.local(s.sock)),
                                 vhost: i.vhost ?? "", app: i.app, stream: i.stream, role: i.role.rawValue, protocolName: i.protocolName,
                                 stats: s.stats.report(s.sock)).dictionary
    }
}
