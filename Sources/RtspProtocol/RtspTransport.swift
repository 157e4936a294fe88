/// A port or channel pair such as `client_port=5000-5001` or `interleaved=0-1`; the second number is
/// optional on the wire.
public struct RtspPair: Sendable, Equatable, CustomStringConvertible {
    public var first: Int
    public var second: Int?

    public init(_ first: Int, _ second: Int? = nil) {
        self.first = first
        self.second = second
    }

    public var description: String { second.map { "\(first)-\($0)" } ?? "\(first)" }

    static func parse(_ s: Substring, max: Int) -> RtspPair? {
        let parts = s.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let a = parseBoundedInt(parts[0], max: max) else { return nil }
        guard parts.count == 2 else { return RtspPair(a) }
        guard let b = parseBoundedInt(parts[1], max: max), b >= a else { return nil }
        return RtspPair(a, b)
    }
}

public struct RtspTransportError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public var description: String { "Transport: \(message)" }
}

/// One transport spec of a Transport header (RFC 2326 12.39, RFC 7826 18.54).
public struct RtspTransport: Sendable, Equatable {
    public enum LowerTransport: String, Sendable { case udp = "UDP", tcp = "TCP" }

    /// "RTP/AVP", "RTP/SAVP", "RTP/AVPF"... without the lower transport.
    public var profile: String
    public var lowerTransport: LowerTransport
    public var multicast: Bool
    public var interleaved: RtspPair?
    public var clientPort: RtspPair?
    public var serverPort: RtspPair?
    /// Multicast port pair.
    public var port: RtspPair?
    public var destination: String?
    public var source: String?
    public var ttl: Int?
    public var ssrc: UInt32?
    /// Upper case, unquoted ("PLAY", "RECORD"); nil when absent, which means PLAY.
    public var mode: String?
    public var append: Bool
    /// Parameters this type does not model, kept verbatim so a reply can echo them.
    public var otherParameters: [String]

    public init(profile: String = "RTP/AVP", lowerTransport: LowerTransport = .udp, multicast: Bool = false,
                interleaved: RtspPair? = nil, clientPort: RtspPair? = nil, serverPort: RtspPair? = nil, port: RtspPair? = nil,
                destination: String? = nil, source: String? = nil, ttl: Int? = nil, ssrc: UInt32? = nil, mode: String? = nil,
                append: Bool = false, otherParameters: [String] = []) {
        self.profile = profile
        self.lowerTransport = lowerTransport
        self.multicast = multicast
        self.interleaved = interleaved
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.port = port
        self.destination = destination
        self.source = source
        self.ttl = ttl
        self.ssrc = ssrc
        self.mode = mode
        self.append = append
        self.otherParameters = otherParameters
    }

    public var isRecord: Bool { mode == "RECORD" }

    /// Every spec of a Transport header that parses, in the client's order of preference. Specs this library
    /// cannot read (other profiles, bad numbers) are skipped: the server then picks from the rest or answers 461.
    public static func parseList(_ header: String) -> [RtspTransport] {
        splitOutsideQuotes(header[...], on: 44).compactMap { spec in
            let t = spec.trimmingSpaces()
            return t.isEmpty ? nil : try? RtspTransport(parsing: String(t))
        }
    }

    public init(parsing spec: String) throws(RtspTransportError) {
        guard spec.utf8.count <= 4096 else { throw RtspTransportError(message: "spec too long") }
        let fields = splitOutsideQuotes(spec[...], on: 59).map { $0.trimmingSpaces() }
        guard let head = fields.first, !head.isEmpty else { throw RtspTransportError(message: "empty spec") }
        let protocolParts = head.split(separator: "/", omittingEmptySubsequences: false).map { String($0).asciiUppercased() }
        guard protocolParts.count == 2 || protocolParts.count == 3, protocolParts[0] == "RTP", !protocolParts[1].isEmpty else {
            throw RtspTransportError(message: "unsupported transport protocol \(head.prefix(32))")
        }
        self.init(profile: "RTP/" + protocolParts[1])
        if protocolParts.count == 3 {
            guard let lower = LowerTransport(rawValue: protocolParts[2]) else {
                throw RtspTransportError(message: "unsupported lower transport \(protocolParts[2].prefix(16))")
            }
            lowerTransport = lower
        }
        for field in fields.dropFirst() where !field.isEmpty {
            try apply(field)
        }
    }

    private mutating func apply(_ field: Substring) throws(RtspTransportError) {
        let kv = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(kv[0].trimmingSpaces()).asciiLowercased()
        let raw = kv.count == 2 ? kv[1].trimmingSpaces() : nil
        let value = raw.map(unquote)
        func pair(max: Int) throws(RtspTransportError) -> RtspPair {
            guard let value, let p = RtspPair.parse(value, max: max) else {
                throw RtspTransportError(message: "bad \(name) value")
            }
            return p
        }
        switch name {
        case "unicast": multicast = false
        case "multicast": multicast = true
        case "append": append = true
        case "interleaved": interleaved = try pair(max: 255)
        case "client_port": clientPort = try pair(max: 65535)
        case "server_port": serverPort = try pair(max: 65535)
        case "port": port = try pair(max: 65535)
        case "destination": destination = value.map(String.init)
        case "source": source = value.map(String.init)
        case "ttl":
            guard let value, let n = parseBoundedInt(value, max: 255) else { throw RtspTransportError(message: "bad ttl") }
            ttl = n
        case "ssrc":
            guard let value, (1...8).contains(value.utf8.count), let n = UInt32(value, radix: 16) else {
                throw RtspTransportError(message: "bad ssrc")
            }
            ssrc = n
        case "mode":
            // A list such as "PLAY,RECORD" is legal but no client sends it; the first entry decides.
            guard let value, let first = value.split(separator: ",").first?.trimmingSpaces(), !first.isEmpty else {
                throw RtspTransportError(message: "bad mode")
            }
            mode = String(first).asciiUppercased()
        default:
            otherParameters.append(String(field))
        }
    }

    /// The spec as a server echoes it in its reply, e.g. `RTP/AVP/TCP;unicast;interleaved=0-1;mode="RECORD"`.
    public func format() -> String {
        var s = profile + (lowerTransport == .tcp ? "/TCP" : "")
        s += multicast ? ";multicast" : ";unicast"
        if let destination { s += ";destination=\(destination)" }
        if let source { s += ";source=\(source)" }
        if let interleaved { s += ";interleaved=\(interleaved)" }
        if let clientPort { s += ";client_port=\(clientPort)" }
        if let serverPort { s += ";server_port=\(serverPort)" }
        if let port { s += ";port=\(port)" }
        if let ttl { s += ";ttl=\(ttl)" }
        if let ssrc { s += ";ssrc=" + hex8(ssrc) }
        if append { s += ";append" }
        for p in otherParameters { s += ";" + p }
        if let mode { s += ";mode=\"\(mode)\"" }
        return s
    }
}

extension RtspTransport {
    /// Several specs as one header value (a client offering alternatives).
    public static func formatList(_ list: [RtspTransport]) -> String {
        list.map { $0.format() }.joined(separator: ",")
    }
}

private func hex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: 8 - s.count) + s
}
