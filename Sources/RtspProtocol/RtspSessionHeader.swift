/// The Session header (RFC 2326 12.37): `Session: <id>[;timeout=<seconds>]`.
public struct RtspSessionHeader: Sendable, Equatable {
    public var id: String
    /// Seconds of inactivity before the server may drop the session; nil means the default (60 s).
    public var timeout: Int?

    public init(id: String, timeout: Int? = nil) {
        self.id = id
        self.timeout = timeout
    }

    /// Nil when the id is empty, too long or has characters outside RFC 2326's `safe` set plus what real servers
    /// use (GStreamer ids contain '.', '-' and '_'); an unparseable timeout is dropped rather than failing the id.
    public init?(parsing value: String) {
        let fields = value.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard let idPart = fields.first, (1...256).contains(idPart.utf8.count), idPart.utf8.allSatisfy(Self.isIdByte) else { return nil }
        id = String(idPart)
        timeout = nil
        for field in fields.dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, String(kv[0].trimmingSpaces()).asciiLowercased() == "timeout" else { continue }
            timeout = parseBoundedInt(unquote(kv[1].trimmingSpaces()), max: 86_400 * 365)
        }
    }

    public func format() -> String {
        timeout.map { "\(id);timeout=\($0)" } ?? id
    }

    static func isIdByte(_ c: UInt8) -> Bool {
        // RFC 7826 session-id: 1*256( ALPHA / DIGIT / safe ), safe = "$" / "-" / "_" / "." / "+"
        isAsciiLetter(c) || (48...57).contains(c) || c == 36 || c == 45 || c == 95 || c == 46 || c == 43
    }

    /// A fresh id from 8 random bytes (16 hex characters), unguessable so sessions cannot be hijacked.
    public static func makeId() -> String {
        hexString(randomBytes(8))
    }
}
