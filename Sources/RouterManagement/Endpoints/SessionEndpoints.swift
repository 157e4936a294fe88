import RouterCore

/// ZLMediaKit's session endpoints: getAllSession, kick_session, kick_sessions (TCP connections of every plugin).
enum SessionEndpoints {
    static func register(_ m: ManagementService) {
        let filters: [(String, Bool, String)] = [("local_port", false, "only sessions on this server port"),
                                                 ("peer_ip", false, "only sessions from this address")]
        m.api.add(.init("getAllSession", "open TCP sessions of every plugin", parameters: filters) { call, reply in
            switch matching(m, call) {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let list):
                reply(.success, ["data": list.map { s -> [String: any Sendable] in
                    ["id": "\(s.id)", "identifier": "\(s.id)", "local_ip": s.localIP, "local_port": s.localPort,
                     "peer_ip": s.peerIP, "peer_port": s.peerPort, "typeid": s.plugin]
                }])
            }
        })
        m.api.add(.init("kick_session", "closes one session", parameters: [("id", true, "the session id from getAllSession")]) { call, reply in
            guard let id = call.string("id").flatMap(UInt64.init) else { return reply(.invalidArgs, ["msg": "id must be a session id"]) }
            let kicked = m.server.kickSession(id)
            reply(kicked ? .success : .other, ["msg": kicked ? "success" : "can not find the session"])
        })
        m.api.add(.init("kick_sessions", "closes every session matching the filters", parameters: filters) { call, reply in
            switch matching(m, call) {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let list):
                // The management API's own connection is spared: it has to send this answer.
                let hit = list.filter { !(call.peer.hasSuffix(":\($0.peerPort)") && call.peer.contains($0.peerIP)) }
                for s in hit { _ = m.server.kickSession(s.id) }
                reply(.success, ["count_hit": hit.count])
            }
        })
    }

    private static func matching(_ m: ManagementService, _ call: ApiCall) -> Result<[SessionInfo], ApiError> {
        var port: Int?
        if let p = call.int("local_port") {
            switch p {
            case .failure(let e): return .failure(e)
            case .success(let v): port = v
            }
        }
        let ip = call.string("peer_ip")
        return .success(m.server.sessions().filter { s in
            (port.map { s.localPort == $0 } ?? true) && (ip.map { s.peerIP == $0 } ?? true)
        })
    }
}
