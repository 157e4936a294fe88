/// Where one ICE-lite session stands (RFC 8445 2.5: a lite agent only answers checks and is always controlled).
public enum IceSessionState: Sendable, Equatable {
    /// Created at signalling time; no authenticated check yet.
    case waiting
    /// A check succeeded on this pair but the controlling agent has not nominated one.
    case connected(FiveTuple)
    /// USE-CANDIDATE arrived on this pair (RFC 8445 7.3.1.5): media goes there.
    case nominated(FiveTuple)
    case failed(IceFailure)

    public var selectedPair: FiveTuple? {
        switch self {
        case .connected(let t), .nominated(let t): t
        case .waiting, .failed: nil
        }
    }
}

public enum IceFailure: Sendable, Equatable {
    /// No valid check within the connect timeout after signalling.
    case noCheck
    /// RFC 7675: no authenticated check on the selected pair for the consent timeout.
    case consentExpired
    /// The application ended it.
    case closed
}

/// One session's pairs and timers, owned by `IceLiteAgent`.
struct IceLiteSession {
    let local: IceCredentials
    /// The offer's ice-ufrag: when known, a check's USERNAME must end with it.
    let remoteUfrag: String?
    let createdMs: Int64
    var state: IceSessionState = .waiting
    /// Every pair that passed a check, with the time of its last one (consent per pair, RFC 7675 5.1).
    var pairs: [FiveTuple: Int64] = [:]
}
