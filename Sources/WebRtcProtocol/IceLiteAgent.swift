/// Timeouts of the ICE-lite agent, in milliseconds.
public struct IceLiteTimeouts: Sendable, Equatable {
    /// From signalling to the first valid check.
    public var connectMs: Int64
    /// RFC 7675 5.1: consent is lost 30 s after the last authenticated check.
    public var consentMs: Int64

    public init(connectMs: Int64 = 15_000, consentMs: Int64 = 30_000) {
        self.connectMs = connectMs
        self.consentMs = consentMs
    }
}

/// A change the application acts on.
public enum IceEvent: Sendable, Equatable {
    /// The session's media pair is now this one (first success, nomination, or migration to a new address).
    case selected(ufrag: String, pair: FiveTuple, nominated: Bool)
    case failed(ufrag: String, IceFailure)
}

/// Why a datagram went nowhere; counted by the plugin, never answered.
public enum IceDrop: Sendable, Equatable {
    case malformedStun(StunError)
    case notBindingRequest
    case unknownUfrag
    case unknownTuple
    case unknownKind
    case sessionFailed
}

/// What to do with one datagram.
public enum IceVerdict: Sendable, Equatable {
    /// Send `bytes` back to the sender; `event` when the check changed the session.
    case reply([UInt8], ufrag: String?, event: IceEvent?)
    /// DTLS, RTP or RTCP from a validated pair of this session.
    case payload(ufrag: String, DatagramKind)
    case dropped(IceDrop)
}

/// The server side of ICE-lite (RFC 8445 with lite implementation) for every session on one UDP socket, sans I/O:
/// the caller passes each datagram with its 5-tuple and the current time, and `tick` with the time drives
/// timeouts. A check finds its session by the local ufrag, the part of USERNAME before ':' (RFC 8445 7.2.2);
/// other datagrams find it by 5-tuple once a check succeeded there. Non-STUN from an unknown tuple is dropped.
public struct IceLiteAgent: Sendable {
    public var timeouts: IceLiteTimeouts
    /// SOFTWARE is left out of answers: it only tells an attacker the version.
    private var sessions: [String: IceLiteSession] = [:]
    private var byTuple: [FiveTuple: String] = [:]

    public init(timeouts: IceLiteTimeouts = IceLiteTimeouts()) { self.timeouts = timeouts }

    public var sessionCount: Int { sessions.count }

    /// Registers a session at signalling time. Returns false when the ufrag is already taken.
    @discardableResult
    public mutating func addSession(local: IceCredentials, remoteUfrag: String?, nowMs: Int64) -> Bool {
        guard sessions[local.ufrag] == nil else { return false }
        sessions[local.ufrag] = IceLiteSession(local: local, remoteUfrag: remoteUfrag, createdMs: nowMs)
        return true
    }

    public mutating func removeSession(ufrag: String) {
        guard let s = sessions.removeValue(forKey: ufrag) else { return }
        for t in s.pairs.keys { byTuple[t] = nil }
    }

    public func state(ufrag: String) -> IceSessionState? { sessions[ufrag]?.state }

    public func session(for tuple: FiveTuple) -> String? { byTuple[tuple] }

    public mutating func handle(datagram: ArraySlice<UInt8>, tuple: FiveTuple, nowMs: Int64) -> IceVerdict {
        let kind = DatagramKind(datagram)
        guard kind == .stun else {
            guard kind != .unknown else { return .dropped(.unknownKind) }
            guard let ufrag = byTuple[tuple] else { return .dropped(.unknownTuple) }
            return .payload(ufrag: ufrag, kind)
        }
        let request: StunMessage
        do { request = try StunMessage(parsing: datagram) } catch { return .dropped(.malformedStun(error)) }
        guard request.messageClass == .request, request.method == StunMessage.bindingMethod else { return .dropped(.notBindingRequest) }
        guard let username = request.username, request.integrityOffset != nil else {
            // RFC 8489 9.1.3: a request without USERNAME or MESSAGE-INTEGRITY gets 400.
            return .reply(errorResponse(request, code: 400, reason: "Bad Request"), ufrag: nil, event: nil)
        }
        let parts = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let localUfrag = parts.first.map(String.init), var session = sessions[localUfrag] else { return .dropped(.unknownUfrag) }
        guard request.verifyIntegrity(of: datagram, key: Array(session.local.password.utf8)),
              session.remoteUfrag.map({ parts.count == 2 && parts[1] == $0 }) ?? true
        else {
            return .reply(errorResponse(request, code: 401, reason: "Unauthorized"), ufrag: localUfrag, event: nil)
        }
        if case .failed = session.state { return .dropped(.sessionFailed) }
        let unknown = request.attributes.compactMap { a -> UInt16? in
            if case .other(let t, _) = a, StunAttributeType.isComprehensionRequired(t) { t } else { nil }
        }
        guard unknown.isEmpty else {
            return .reply(errorResponse(request, code: 420, reason: "Unknown Attribute", extra: [.unknownAttributes(unknown)],
                                        key: session.local.password), ufrag: localUfrag, event: nil)
        }
        // A lite agent is always controlled (RFC 8445 6.1.1); a peer also claiming the controlled role must switch.
        if request.attributes.contains(where: { if case .iceControlled = $0 { true } else { false } }) {
            return .reply(errorResponse(request, code: 487, reason: "Role Conflict", key: session.local.password), ufrag: localUfrag, event: nil)
        }
        session.pairs[tuple] = nowMs
        byTuple[tuple] = localUfrag
        var event: IceEvent?
        switch session.state {
        case .waiting:
            session.state = request.useCandidate ? .nominated(tuple) : .connected(tuple)
            event = .selected(ufrag: localUfrag, pair: tuple, nominated: request.useCandidate)
        case .connected(let current):
            if request.useCandidate || current != tuple && !isAlive(session, current, nowMs) {
                session.state = request.useCandidate ? .nominated(tuple) : .connected(tuple)
                event = .selected(ufrag: localUfrag, pair: tuple, nominated: request.useCandidate)
            }
        case .nominated(let current):
            // A nomination on another pair is a migration (a new network); the old pair stays until its consent ends.
            if request.useCandidate, current != tuple {
                session.state = .nominated(tuple)
                event = .selected(ufrag: localUfrag, pair: tuple, nominated: true)
            }
        case .failed:
            break
        }
        sessions[localUfrag] = session
        let response = StunMessage(class: .successResponse, transactionId: request.transactionId,
                                   attributes: [.xorMappedAddress(tuple.remote)])
        return .reply(response.encode(integrityKey: Array(session.local.password.utf8), fingerprint: true), ufrag: localUfrag, event: event)
    }

    /// Expires pairs and sessions whose timers ran out; call it at `nextDeadline` or more often.
    public mutating func tick(nowMs: Int64) -> [IceEvent] {
        var events: [IceEvent] = []
        for (ufrag, var session) in sessions {
            for (tuple, last) in session.pairs where nowMs - last >= timeouts.consentMs {
                session.pairs[tuple] = nil
                byTuple[tuple] = nil
            }
            switch session.state {
            case .waiting where nowMs - session.createdMs >= timeouts.connectMs:
                session.state = .failed(.noCheck)
            case .connected(let t), .nominated(let t):
                if session.pairs[t] == nil { session.state = .failed(.consentExpired) }
            default:
                break
            }
            if case .failed(let why) = session.state, sessions[ufrag]?.state != session.state {
                events.append(.failed(ufrag: ufrag, why))
            }
            sessions[ufrag] = session
        }
        return events.sorted { "\($0)" < "\($1)" }
    }

    /// The earliest time `tick` has something to do, or nil with no session waiting on a timer.
    public func nextDeadline() -> Int64? {
        var deadline: Int64?
        for session in sessions.values {
            let candidate: Int64?
            switch session.state {
            case .waiting: candidate = session.createdMs + timeouts.connectMs
            case .connected, .nominated: candidate = session.pairs.values.min().map { $0 + timeouts.consentMs }
            case .failed: candidate = nil
            }
            if let c = candidate { deadline = min(deadline ?? c, c) }
        }
        return deadline
    }

    private func isAlive(_ session: IceLiteSession, _ tuple: FiveTuple, _ nowMs: Int64) -> Bool {
        session.pairs[tuple].map { nowMs - $0 < timeouts.consentMs } ?? false
    }

    private func errorResponse(_ request: StunMessage, code: Int, reason: String, extra: [StunAttribute] = [], key: String? = nil) -> [UInt8] {
        let m = StunMessage(class: .errorResponse, transactionId: request.transactionId,
                            attributes: [.errorCode(code: code, reason: reason)] + extra)
        return m.encode(integrityKey: key.map { Array($0.utf8) }, fingerprint: true)
    }
}
