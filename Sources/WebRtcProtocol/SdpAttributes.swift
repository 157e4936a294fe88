/// a=sendrecv / sendonly / recvonly / inactive (RFC 8866 6.7), from the offerer's side.
public enum SdpDirection: String, Sendable, Equatable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction an answer takes when the answerer wants to send (`send`) and/or receive (`receive`) (RFC 3264 6.1).
    public func answer(send: Bool, receive: Bool) -> SdpDirection {
        let canSend = send && (self == .sendrecv || self == .recvonly)
        let canReceive = receive && (self == .sendrecv || self == .sendonly)
        switch (canSend, canReceive) {
        case (true, true): return .sendrecv
        case (true, false): return .sendonly
        case (false, true): return .recvonly
        case (false, false): return .inactive
        }
    }
}

/// a=setup (RFC 4145 4, RFC 8842 5.1): which side starts DTLS.
public enum SdpSetup: String, Sendable, Equatable {
    case active, passive, actpass, holdconn
}

/// a=fingerprint (RFC 8122 5): hash function and the colon-separated hex digest, as bytes.
public struct SdpFingerprint: Sendable, Equatable {
    public var hashFunction: String
    public var digest: [UInt8]

    public init(hashFunction: String, digest: [UInt8]) {
        self.hashFunction = hashFunction.lowercased()
        self.digest = digest
    }

    init?(_ value: Substring) {
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].count <= 16 else { return nil }
        var digest: [UInt8] = []
        for octet in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard octet.count == 2, let b = UInt8(octet, radix: 16) else { return nil }
            digest.append(b)
        }
        guard (16...64).contains(digest.count) else { return nil }
        self.init(hashFunction: String(parts[0]), digest: digest)
    }

    /// `sha-256 AB:CD:...` with upper-case hex, as browsers write it.
    public var attributeValue: String {
        let hex = digest.map { b -> String in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }
        return "\(hashFunction) \(hex.joined(separator: ":"))"
    }
}

/// a=rtpmap (RFC 8866 6.6): encoding name, clock rate, channels.
public struct SdpRtpMap: Sendable, Equatable {
    public var encoding: String
    public var clockRate: UInt32
    public var channels: Int?

    public init(encoding: String, clockRate: UInt32, channels: Int? = nil) {
        self.encoding = encoding
        self.clockRate = clockRate
        self.channels = channels
    }

    init?(_ value: Substring) {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), !parts[0].isEmpty, let rate = UInt32(parts[1]), rate > 0 else { return nil }
        encoding = String(parts[0])
        clockRate = rate
        if parts.count == 3 {
            guard let c = Int(parts[2]), (1...8).contains(c) else { return nil }
            channels = c
        }
    }

    public var attributeValue: String { "\(encoding)/\(clockRate)" + (channels.map { "/\($0)" } ?? "") }
}

/// a=extmap (RFC 8285 5): a header extension id and its URI.
public struct SdpExtmap: Sendable, Equatable {
    public var id: Int
    public var direction: SdpDirection?
    public var uri: String

    public init(id: Int, uri: String, direction: SdpDirection? = nil) {
        self.id = id
        self.uri = uri
        self.direction = direction
    }

    init?(_ value: Substring) {
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        let idPart = parts[0].split(separator: "/", maxSplits: 1)
        guard let first = idPart.first, let id = Int(first), (1...255).contains(id) else { return nil }
        self.id = id
        direction = idPart.count == 2 ? SdpDirection(rawValue: String(idPart[1])) : nil
        uri = String(parts[1])
    }
}

/// a=ssrc-group (RFC 5576 4.2), e.g. FID primary retransmission.
public struct SdpSsrcGroup: Sendable, Equatable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }
}

/// a=rid (RFC 8851 4): a simulcast layer's id and direction; restrictions are kept raw.
public struct SdpRid: Sendable, Equatable {
    public var id: String
    public var direction: String
    public var restrictions: String
}

/// Splits an fmtp parameter list `a=1;b=2` into pairs (RFC 8866 6.15 leaves the format to the codec; every
/// codec used here writes `key=value` separated by `;`).
public func sdpFormatParameters(_ fmtp: String) -> [(key: String, value: String)] {
    fmtp.split(separator: ";").compactMap { item in
        let kv = item.split(separator: "=", maxSplits: 1)
        guard let k = kv.first else { return nil }
        return (String(k).trimmingSpaces().lowercased(), kv.count == 2 ? String(kv[1]).trimmingSpaces() : "")
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
