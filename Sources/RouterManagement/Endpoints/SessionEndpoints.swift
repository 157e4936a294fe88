import RouterCore

/// ZLMediaKit's session endpoints: getAllSession, kick_session, kick_sessions: the host's TCP connections of
/// every plugin, and the sessions plugins list themselves (PluginSessions: UDP peers and the like).
enum SessionEndpoints {
    static func register(_ m: ManagementService) {
        let filters: [(String, Bool, String)] = [("local_port", false, "only sessions on this server port"),
                                                 ("peer_ip", false, "only sessions from this address")]
        m.api.add(.init("getAllSession", "open sessions: TCP connections of every plugin, and the sessions plugins keep themselves "
                        + "(with app, stream, role and the protocol's statistics)", parameters: filters) { call, reply in
            switch filter(call) {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let wanted):
                let host: [any Sendable] = m.server.sessions().filter { wanted($0.localPort, $0.peerIP) }.map { s -> [String: any Sendable] in
                    ["id": "\(s.id)", "identifier": "\(s.id)", "local_ip": s.localIP, "local_port": s.localPort,
                     "peer_ip": s.peerIP, "peer_port": s.peerPort, "typeid": s.plugin]
                }
                PluginSession.gather(m) { sessions in
                    reply(.success, ["data": host + sessions.filter { wanted($0.localPort, $0.peerIP) }.map(\.listItem)])
                }
            }
        })
        m.api.add(.init("kick_session", "closes one session", parameters: [("id", true, "the session id from getAllSession")]) { call, reply in
            @Sendable func answer(_ kicked: Bool) { reply(kicked ? .success : .other, ["msg": kicked ? "success" : "can not find the session"]) }
            if let number = call.string("id").flatMap(UInt64.init) { return answer(m.server.kickSession(number)) }
            guard let id = call.string("id"), PluginSession.owner(m, id) != nil else {
                return reply(.invalidArgs, ["msg": "id must be a session id (a number, or <plugin>-<id> of a plugin's session)"])
            }
            PluginSession.kick(m, id, done: answer)
        })
        m.api.add(.init("kick_sessions", "closes every session matching the filters", parameters: filters) { call, reply in
            switch filter(call) {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let wanted):
                // The management API's own connection is spared: it has to send this answer.
                let hit = m.server.sessions().filter { wanted($0.localPort, $0.peerIP) }
                    .filter { !(call.peer.hasSuffix(":\($0.peerPort)") && call.peer.contains($0.peerIP)) }
                for s in hit { _ = m.server.kickSession(s.id) }
                PluginSession.gather(m) { sessions in
                    let theirs = sessions.filter { wanted($0.localPort, $0.peerIP) }
                    let kicks = AnswerGathering<Void>(count: theirs.count) { _ in reply(.success, ["count_hit": hit.count + theirs.count]) }
                    for s in theirs { PluginSession.kick(m, s.apiID) { _ in kicks.arrived(()) } }
                }
            }
        })
    }

    /// The call's filters as a test of (local port, peer address).
    private static func filter(_ call: ApiCall) -> Result<@Sendable (Int, String) -> Bool, ApiError> {
        var port: Int?
        if let p = call.int("local_port") {
            switch p {
            case .failure(let e): return .failure(e)
            case .success(let v): port = v
            }
        }
        let (wantedPort, ip) = (port, call.string("peer_ip"))
        return .success { localPort, peerIP in (wantedPort.map { localPort == $0 } ?? true) && (ip.map { peerIP == $0 } ?? true) }
    }
}
