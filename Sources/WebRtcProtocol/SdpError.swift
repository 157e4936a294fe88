/// Why an offer was refused; `description` is what the HTTP 4xx body and the log say.
public enum SdpError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(bytes: Int, limit: Int)
    case tooManyLines(limit: Int)
    case lineTooLong(line: Int, limit: Int)
    case tooManyMediaSections(count: Int, limit: Int)
    case malformedLine(line: Int, text: String)
    case missing(String)
    case invalid(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit): "SDP of \(bytes) bytes exceeds the limit of \(limit)"
        case .tooManyLines(let limit): "SDP has more than \(limit) lines"
        case .lineTooLong(let line, let limit): "SDP line \(line) is longer than \(limit) bytes"
        case .tooManyMediaSections(let count, let limit): "SDP has \(count) media sections, at most \(limit) are accepted"
        case .malformedLine(let line, let text): "SDP line \(line) is malformed: \(text)"
        case .missing(let what): "SDP offer lacks \(what)"
        case .invalid(let what): "SDP offer has an invalid \(what)"
        case .unsupported(let what): "SDP offer cannot be answered: \(what)"
        }
    }
}

/// Limits that keep a hostile offer cheap to refuse. Real offers: Chromium's with audio+video is about 6 KB,
/// 200 lines, 2 media sections.
public struct SdpLimits: Sendable, Equatable {
    public var maxBytes = 64 * 1024
    public var maxLines = 2_000
    public var maxLineLength = 4_096
    public var maxMediaSections = 16

    public init() {}
}
