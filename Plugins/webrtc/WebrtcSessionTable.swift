import MRPluginKit
import WebRtcProtocol

/// Which session a datagram belongs to, shared by every loop's socket (a datagram may arrive on any of
/// them): by local ICE ufrag for STUN, by the peer's address once a check succeeded there, by id for DELETE.
final class WebrtcSessionTable: Sendable {
    private struct Tables {
        var byUfrag: [String: WebrtcSession] = [:]
        var byAddress: [TransportAddress: WebrtcSession] = [:]
        var byId: [String: WebrtcSession] = [:]
    }

    private let tables = LockedValue(Tables())
    /// Sessions at once; more are refused with 503 before anything is allocated for them.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// False when the table is full or the ufrag or id is taken.
    func add(_ p: WebrtcSession) -> Bool {
        tables.withLock { t in
            guard t.byId.count < limit, t.byUfrag[p.ufrag] == nil, t.byId[p.id] == nil else { return false }
            t.byUfrag[p.ufrag] = p
            t.byId[p.id] = p
            return true
        }
    }

    func bind(_ address: TransportAddress, to p: WebrtcSession) {
        tables.withLock { t in if t.byId[p.id] === p { t.byAddress[address] = p } }
    }

    /// ICE restart: checks with the new ufrag find the session, the old one finds nothing. False when the new
    /// ufrag is taken (or the session is gone).
    func rekey(_ p: WebrtcSession, from old: String, to new: String) -> Bool {
        tables.withLock { t in
            guard t.byId[p.id] === p, t.byUfrag[new] == nil else { return false }
            if t.byUfrag[old] === p { t.byUfrag[old] = nil }
            t.byUfrag[new] = p
            return true
        }
    }

    func remove(_ p: WebrtcSession) {
        tables.withLock { t in
            // [the session's loop] ufrag changes only there.
            if t.byUfrag[p.ufrag] === p { t.byUfrag[p.ufrag] = nil }
            if t.byId[p.id] === p { t.byId[p.id] = nil }
            for (a, q) in t.byAddress where q === p { t.byAddress[a] = nil }
        }
    }

    func session(ufrag: String) -> WebrtcSession? { tables.withLock { $0.byUfrag[ufrag] } }
    func session(address: TransportAddress) -> WebrtcSession? { tables.withLock { $0.byAddress[address] } }
    func session(id: String) -> WebrtcSession? { tables.withLock { $0.byId[id] } }
    var all: [WebrtcSession] { tables.withLock { Array($0.byId.values) } }
    var count: Int { tables.withLock { $0.byId.count } }
}
