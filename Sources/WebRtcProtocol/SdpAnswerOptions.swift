/// What the server brings to an answer.
public struct SdpAnswerOptions: Sendable {
    /// WHIP: the server receives (the offer is sendonly); WHEP: it sends (the offer is recvonly).
    public enum Role: Sendable, Equatable { case receive, send }

    public var role: Role
    public var credentials: IceCredentials
    /// SHA-256 of our DTLS certificate.
    public var fingerprint: SdpFingerprint
    /// Host candidates: the addresses the shared UDP socket is reachable at, most preferred first.
    public var candidates: [TransportAddress]
    public var videoCodecs: [SdpCodecPreference] = [.h264, .h265]
    public var audioCodecs: [SdpCodecPreference] = [.opus, .pcma, .pcmu]
    public var rtx = true
    /// rtcp-fb values answered when offered (RFC 4585 4.2, RFC 5104 7.1); TWCC/REMB come in part 2.
    public var feedback: [String] = ["nack", "nack pli", "ccm fir"]
    /// Header extensions answered when offered (RFC 8285), with the offer's ids.
    public var headerExtensions: [String] = ["urn:ietf:params:rtp-hdrext:sdes:mid"]
    /// For the send role: our SSRCs per kind ("audio", "video"): primary and RTX.
    public var sendSsrcs: [String: (primary: UInt32, rtx: UInt32)] = [:]
    public var cname = "mediarouter"
    public var streamId = "mediarouter"
    public var sessionId: UInt64 = 1

    public init(role: Role, credentials: IceCredentials, fingerprint: SdpFingerprint, candidates: [TransportAddress]) {
        self.role = role
        self.credentials = credentials
        self.fingerprint = fingerprint
        self.candidates = candidates
    }
}

/// One accepted media section as the transport will use it.
public struct NegotiatedMedia: Sendable, Equatable {
    public var mid: String
    public var kind: String
    public var payloadType: UInt8
    public var codec: SdpRtpMap
    public var formatParameters: String?
    public var rtxPayloadType: UInt8?
    public var feedback: [String]
    public var extmaps: [SdpExtmap]
    public var direction: SdpDirection
    /// The offerer's SSRCs (primary, RTX), empty when it did not list them (simulcast by rid, or a player).
    public var remoteSsrcs: [UInt32]
    public var remoteRtxSsrcs: [UInt32]
    public var localSsrc: UInt32?
    public var localRtxSsrc: UInt32?

    public var nack: Bool { feedback.contains("nack") }
    public var pli: Bool { feedback.contains("nack pli") }
}

/// An answer and what it agreed.
public struct SdpAnswer: Sendable {
    public var sdp: String
    public var media: [NegotiatedMedia]
    public var remoteCredentials: IceCredentials
    public var remoteFingerprint: SdpFingerprint
    /// true when we start DTLS (the offer said `setup:passive`, as FFmpeg's WHIP muxer does).
    public var dtlsClient: Bool
    /// Sections refused, with the reason, for the log and the answer's story ("audio: AAC cannot go to a browser").
    public var notes: [String]
}
