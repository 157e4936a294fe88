/// The reject reasons a listener answers a caller with, as `srt_getrejectreason` reads them on the caller's
/// side: libsrt's own (below 1000: a wrong or missing passphrase is decided by libsrt itself) and the
/// access-control codes 1000 + HTTP-like status (`access_control.h`).
public struct SrtRejectCode: RawRepresentable, Equatable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    // libsrt's SRT_REJECT_REASON values that callers meet.
    public static let peer = SrtRejectCode(rawValue: 2)
    public static let badSecret = SrtRejectCode(rawValue: 10)
    public static let unsecure = SrtRejectCode(rawValue: 11)
    public static let timeout = SrtRejectCode(rawValue: 16)

    // SRT_REJX_* (access_control.h).
    public static let badRequest = SrtRejectCode(rawValue: 1400)
    public static let unauthorized = SrtRejectCode(rawValue: 1401)
    public static let overload = SrtRejectCode(rawValue: 1402)
    public static let forbidden = SrtRejectCode(rawValue: 1403)
    public static let notFound = SrtRejectCode(rawValue: 1404)
    public static let badMode = SrtRejectCode(rawValue: 1405)
    public static let conflict = SrtRejectCode(rawValue: 1409)
    public static let unsupportedMedia = SrtRejectCode(rawValue: 1415)
    public static let internalError = SrtRejectCode(rawValue: 1500)

    /// For logs on both sides: "1409 conflict (stream busy)".
    public var description: String {
        let name: String
        switch rawValue {
        case 0: name = "unknown"
        case 1: name = "system error"
        case 2: name = "rejected by peer"
        case 3: name = "resource"
        case 4: name = "rogue handshake"
        case 5: name = "backlog full"
        case 6: name = "internal program error"
        case 7: name = "socket closing"
        case 8: name = "version"
        case 9: name = "rendezvous cookie"
        case 10: name = "bad secret (wrong passphrase)"
        case 11: name = "unsecure (passphrase missing or unexpected)"
        case 12: name = "message API mismatch"
        case 13: name = "congestion controller mismatch"
        case 14: name = "packet filter mismatch"
        case 15: name = "group mismatch"
        case 16: name = "timeout"
        case 1400: name = "bad request"
        case 1401: name = "unauthorized"
        case 1402: name = "overload"
        case 1403: name = "forbidden"
        case 1404: name = "not found"
        case 1405: name = "bad mode"
        case 1406: name = "unacceptable"
        case 1409: name = "conflict (stream busy)"
        case 1415: name = "unsupported media type"
        case 1500: name = "internal server error"
        case 1000..<2000: name = "server code"
        case 2000...: name = "application code"
        default: name = "libsrt reason"
        }
        return "\(rawValue) \(name)"
    }
}
