public struct SdpError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "SDP: \(message)" }
}

/// A parsed SDP session (RFC 4566) as RTSP uses it: session-level control and range, and one track per m= line.
public struct SessionDescription: Sendable, Equatable {
    public struct Limits: Sendable {
        public var maxBytes = 64 * 1024
        public var maxLines = 2048
        public var maxTracks = 64
        public init() {}
    }

    public var origin: String?
    public var sessionName: String?
    /// Session-level c= value, e.g. "IN IP4 0.0.0.0".
    public var connection: String?
    /// Session-level a=control ("*" or an aggregate URL).
    public var sessionControl: String?
    /// Session-level a=range value, e.g. "npt=now-".
    public var range: String?
    /// In SDP order, unsupported ones included.
    public var tracks: [SdpTrack]

    public init(origin: String? = nil, sessionName: String? = nil, connection: String? = nil, sessionControl: String? = nil,
                range: String? = nil, tracks: [SdpTrack] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.sessionControl = sessionControl
        self.range = range
        self.tracks = tracks
    }

    /// An ANNOUNCE or DESCRIBE body; invalid UTF-8 is replaced, not rejected (only ASCII fields matter).
    public init(parsing bytes: [UInt8], limits: Limits = Limits()) throws(SdpError) {
        guard bytes.count <= limits.maxBytes else { throw SdpError("description over \(limits.maxBytes) bytes") }
        try self.init(parsing: String(decoding: bytes, as: UTF8.self), limits: limits)
    }

    public init(parsing text: String, limits: Limits = Limits()) throws(SdpError) {
        guard text.utf8.count <= limits.maxBytes else { throw SdpError("description over \(limits.maxBytes) bytes") }
        self.init()
        var builder: SdpMediaBuilder?
        var lineCount = 0
        for raw in text.utf8.split(separator: 10, omittingEmptySubsequences: true) {
            lineCount += 1
            guard lineCount <= limits.maxLines else { throw SdpError("more than \(limits.maxLines) lines") }
            let line = Substring(raw).trimmingSpaces()
            let u = line.utf8
            // Lines that are not "<letter>=" are skipped: cameras emit stray junk, and nothing here depends on it.
            guard u.count >= 2, let type = u.first, isAsciiLetter(type), u[u.index(after: u.startIndex)] == 61 else { continue }
            let value = line.dropFirst(2)
            switch type {
            case UInt8(ascii: "m"):
                if let b = builder { tracks.append(b.build()) }
                guard tracks.count < limits.maxTracks else { throw SdpError("more than \(limits.maxTracks) media descriptions") }
                builder = try SdpMediaBuilder(mediaLine: value)
            case UInt8(ascii: "a"):
                if builder != nil {
                    try builder?.attribute(value)
                } else {
                    sessionAttribute(value)
                }
            case UInt8(ascii: "c") where builder == nil: connection = String(value)
            case UInt8(ascii: "o") where builder == nil: origin = String(value)
            case UInt8(ascii: "s") where builder == nil: sessionName = String(value)
            default: break
            }
        }
        if let b = builder { tracks.append(b.build()) }
        guard !tracks.isEmpty else { throw SdpError("no media descriptions") }
    }

    private mutating func sessionAttribute(_ value: Substring) {
        let (name, content) = splitAttribute(value)
        switch name {
        case "control": sessionControl = content.map(String.init)
        case "range": range = content.map(String.init)
        default: break
        }
    }
}

/// "name:value" → (lower-cased name, value); flags such as "recvonly" have no value.
func splitAttribute(_ value: Substring) -> (String, Substring?) {
    guard let colon = value.firstIndex(of: ":") else { return (String(value).asciiLowercased(), nil) }
    return (String(value[..<colon]).asciiLowercased(), value[value.index(after: colon)...].trimmingSpaces())
}
