#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import PluginABI

/// `gb28181.session.list` and `gb28181.session.kick`, which the declaration's `"sessions": true` promises:
/// getAllSession, kick_session and getMediaList's originSock reach the RTP peers that feed RTP servers (on
/// ports the host does not list as its own sessions: shared UDP sockets) and the platforms startSendRtp sends
/// to. Handlers run on the caller's thread: they read the locked tables and counters only, and a kick closes
/// through the server's or sender's own loop.
enum Gb28181SessionCommands {
    /// [control]
    static func offer(_ plugin: Gb28181Plugin) {
        let host = plugin.host
        host.offerCommand("gb28181.session.list") { [weak plugin] _, reply in
            guard let plugin else { return reply.answer(["sessions": []]) }
            reply.answer(["sessions": plugin.publishing.all.map(item) + plugin.senders.all.map(item)])
        }
        host.offerCommand("gb28181.session.kick") { [weak plugin] args, reply in
            guard let plugin, let id = args["id"] as? String else { return reply.answer(["found": false]) }
            if let s = plugin.publishing.all.first(where: { "recv-\($0.sessionId)" == id }) {
                plugin.registry.remove(s)
                s.close()
                return reply.answer(["found": true])
            }
            if let s = plugin.senders.all.first(where: { "send-\($0.sessionId)" == id }) {
                plugin.senders.remove(s)
                s.stop()
                return reply.answer(["found": true])
            }
            reply.answer(["found": false])
        }
    }

    /// A device feeding an RTP server: the publisher of its stream.
    static func item(_ s: RtpServer) -> [String: Any] {
        let i = s.info.withLock { $0 }
        return PluginSessionItem(id: "recv-\(s.sessionId)", peer: (i.peerIp, i.peerPort), local: (i.localIp, Int(s.port)), vhost: "",
                                 app: s.spec.app, stream: s.spec.streamId, role: "publisher",
                                 protocolName: s.spec.tcpMode == .udp ? "rtp-udp" : "rtp-tcp",
                                 stats: ["ssrc": Int(i.ssrc), "packets": i.packets, "bytes": i.bytes, "lost": i.lost, "reordered": i.reordered,
                                         "dropped_ssrc": i.droppedSsrc, "dropped_peer": i.droppedPeer, "tcp_mode": s.spec.tcpMode.rawValue]).dictionary
    }

    /// A platform startSendRtp sends to: a player of the stream.
    static func item(_ s: RtpSender) -> [String: Any] {
        let st = s.stats.withLock { $0 }
        return PluginSessionItem(id: "send-\(s.sessionId)", peer: (s.spec.dstHost, Int(s.spec.dstPort)),
                                 local: (s.localIp, Int(s.localPort.withLock { $0 })),
                                 vhost: s.spec.vhost == "__defaultVhost__" ? "" : s.spec.vhost, app: s.spec.app, stream: s.spec.stream,
                                 role: "player", protocolName: s.spec.udp ? "rtp-udp" : "rtp-tcp",
                                 stats: ["ssrc": Int(s.spec.ssrcValue), "packets": st.packets, "bytes": st.bytes, "dropped_frames": st.dropped,
                                         "type": s.spec.kind.rawValue]).dictionary
    }
}

/// The RTP servers that have a peer publishing, by session id (the fixed port's and multiplexed streams
/// included), read from the API's threads.
final class RtpPublishers: Sendable {
    private let servers = LockedValue<[Int: RtpServer]>([:])
    private static let serial = LockedValue(0)

    static func nextId() -> Int { serial.withLock { $0 += 1; return $0 } }

    func add(_ s: RtpServer) { servers.withLock { $0[s.sessionId] = s } }
    func remove(_ s: RtpServer) { servers.withLock { $0[s.sessionId] = nil } }
    var all: [RtpServer] { servers.withLock { $0.values.sorted { $0.sessionId < $1.sessionId } } }
}
