/// Where an RTSP server session is in its life: RFC 2326's Init, Ready, Playing and Recording, with Ready
/// split by role (a player's stream is described, a publisher's announced, before any track is set up).
/// Every change goes through `canMove(to:)`, so a request handled in the wrong state cannot slip through a
/// forgotten flag.
enum RtspSessionState: Equatable, CustomStringConvertible {
    enum Role { case none, player, publisher }

    /// Nothing asked yet but OPTIONS and the like.
    case initial
    /// A player's reader is open: its SDP is answered, or waits for the stream to start.
    case described
    /// A publisher's source is open, its SDP known.
    case announced
    /// At least one track has a transport.
    case setUp(Role)
    /// PLAY answered; a PAUSE holds delivery until the next PLAY.
    case playing(paused: Bool)
    /// RECORD answered: RTP goes into the source.
    case recording
    /// TEARDOWN, an error, the end of the stream, or the peer left. Nothing leaves this state.
    case closed

    var role: Role {
        switch self {
        case .initial, .closed: return .none
        case .described, .playing: return .player
        case .announced, .recording: return .publisher
        case .setUp(let role): return role
        }
    }

    var isPlaying: Bool { if case .playing = self { return true }; return false }

    /// The transitions requests and stream events may make; staying put is always allowed.
    func canMove(to next: RtspSessionState) -> Bool {
        if next == self || next == .closed { return self != .closed || next == .closed }
        switch (self, next) {
        case (.initial, .described), (.initial, .announced),
             (.described, .initial),                 // the stream was not found
             (.described, .setUp(.player)), (.announced, .setUp(.publisher)),
             (.setUp(.player), .playing), (.setUp(.publisher), .recording),
             (.playing, .playing):                   // PAUSE, and PLAY after it
            return true
        default:
            return false
        }
    }

    var description: String {
        switch self {
        case .initial: return "init"
        case .described: return "described"
        case .announced: return "announced"
        case .setUp(let role): return "setup(\(role))"
        case .playing(let paused): return paused ? "playing (paused)" : "playing"
        case .recording: return "recording"
        case .closed: return "closed"
        }
    }
}
