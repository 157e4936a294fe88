/// What a caller asks for in its SRT streamid, whichever dialect it speaks:
///
/// - the SRT access-control form `#!::r=app/stream,m=publish|request,h=vhost,u=user,s=session,t=stream,…`
///   (ZLMediaKit, SRS, OBS); keys other than those go to hooks as the query;
/// - MediaMTX's `publish:app/stream[:user:pass][:query]` and `read:…`;
/// - SRS's older key-value form without the `#!::` marker (`h=app/stream,m=publish`), where `h` carries
///   the resource when `r` is absent;
/// - a plain `app/stream[?query]`, which reads.
public struct SrtStreamId: Equatable, Sendable {
    public enum Mode: String, Sendable { case publish, request }
    public enum Dialect: String, Sendable { case accessControl, mediamtx, keyValue, plain }

    /// The longest streamid the SRT access-control specification allows.
    public static let maxLength = 512

    public var mode: Mode
    public var vhost: String?
    public var app: String
    public var stream: String
    public var user: String?
    public var password: String?
    public var session: String?
    /// `k=v&k2=v2`: the keys no dialect gives a meaning to, and a resource's own `?query`.
    public var query: String
    public var dialect: Dialect

    public init(mode: Mode, vhost: String? = nil, app: String, stream: String, user: String? = nil, password: String? = nil,
                session: String? = nil, query: String = "", dialect: Dialect) {
        (self.mode, self.vhost, self.app, self.stream) = (mode, vhost, app, stream)
        (self.user, self.password, self.session, self.query, self.dialect) = (user, password, session, query, dialect)
    }

    /// Why a streamid is refused, and the reject code the listener answers with.
    public enum Failure: Error, Equatable, Sendable {
        case empty
        case tooLong(Int)
        case badCharacters
        case malformed(String)
        case noResource
        case badResource(String)
        case badMode(String)
        case unsupportedType(String)

        public var rejectCode: SrtRejectCode {
            switch self {
            case .badMode: return .badMode
            case .unsupportedType: return .unsupportedMedia
            default: return .badRequest
            }
        }

        public var reason: String {
            switch self {
            case .empty: return "empty streamid"
            case .tooLong(let n): return "streamid of \(n) bytes (at most \(SrtStreamId.maxLength))"
            case .badCharacters: return "streamid holds control or non-UTF-8 bytes"
            case .malformed(let why): return "malformed streamid: \(why)"
            case .noResource: return "streamid names no app/stream"
            case .badResource(let r): return "'\(r)' is not app/stream"
            case .badMode(let m): return "mode '\(m)' is neither publish nor request"
            case .unsupportedType(let t): return "type '\(t)' is not stream"
            }
        }
    }

    public static func parse(_ text: String) -> Result<SrtStreamId, Failure> {
        do { return .success(try parsing(text)) } catch { return .failure(error) }
    }

    /// Bytes as libsrt hands them over (not necessarily UTF-8).
    public static func parse(bytes: [UInt8]) -> Result<SrtStreamId, Failure> {
        guard bytes.count <= maxLength else { return .failure(.tooLong(bytes.count)) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.badCharacters) }
        return parse(text)
    }

    private static func parsing(_ text: String) throws(Failure) -> SrtStreamId {
        let count = text.utf8.count
        guard count > 0 else { throw .empty }
        guard count <= maxLength else { throw .tooLong(count) }
        // A client that URL-encodes the whole access-control text (`%23%21%3A%3A…`) means the same.
        let scalars = Substring(text)
        if scalars.hasScalarPrefix("%23"), case let decoded = SrtURL.percentDecoded(text), Substring(decoded).hasScalarPrefix("#!::") {
            return try parsing(decoded)
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { throw .badCharacters }
        if scalars.hasScalarPrefix("#!::") { return try keyValues(scalars.droppingScalars(4), dialect: .accessControl) }
        if scalars.hasScalarPrefix("publish:") { return try mediamtx(scalars.droppingScalars(8), mode: .publish) }
        if scalars.hasScalarPrefix("read:") { return try mediamtx(scalars.droppingScalars(5), mode: .request) }
        // SRS's older form: key=value pairs without the marker (the first '=' comes before any '/').
        if let eq = scalars.unicodeScalars.firstIndex(of: "="), scalars.unicodeScalars.firstIndex(of: "/").map({ eq < $0 }) ?? true {
            return try keyValues(scalars, dialect: .keyValue)
        }
        let (app, stream, query) = try resource(text)
        return SrtStreamId(mode: .request, app: app, stream: stream, query: query, dialect: .plain)
    }

    private static func keyValues(_ body: Substring, dialect: Dialect) throws(Failure) -> SrtStreamId {
        var known: [String: String] = [:]
        var extra: [String] = []
        // SRS turns a URL's '?' and '&' into ',' pairs; both separators are taken.
        for pair in body.scalarFields(where: { $0 == "," || $0 == "&" }) {
            guard let eq = pair.unicodeScalars.firstIndex(of: "="), eq != pair.startIndex else { throw .malformed("'\(pair)' is not key=value") }
            let key = String(Substring(pair.unicodeScalars[..<eq])), value = String(Substring(pair.unicodeScalars[pair.unicodeScalars.index(after: eq)...]))
            if ["r", "m", "h", "u", "s", "t"].contains(key) {
                guard known[key] == nil else { throw .malformed("key '\(key)' given twice") }
                known[key] = value
            } else {
                extra.append("\(key)=\(value)")
            }
        }
        let mode: Mode
        switch known["m"]?.lowercased() {
        case nil, "request", "play": mode = .request
        case "publish": mode = .publish
        case let other?: throw .badMode(other)
        }
        if let t = known["t"], t != "stream" { throw .unsupportedType(t) }
        var vhost = known["h"]
        var res = known["r"]
        if res == nil, let h = vhost, h.contains("/") {
            // SRS: `h=app/stream` (or `h=vhost/app/stream`? no: SRS reads the whole as app/stream).
            res = h
            vhost = nil
        }
        guard let res, !res.isEmpty else { throw .noResource }
        let (app, stream, rq) = try resource(res)
        let query = ([rq].filter { !$0.isEmpty } + extra).joined(separator: "&")
        return SrtStreamId(mode: mode, vhost: vhost.flatMap { $0.isEmpty ? nil : $0 }, app: app, stream: stream, user: known["u"],
                           session: known["s"], query: query, dialect: dialect)
    }

    private static func mediamtx(_ body: Substring, mode: Mode) throws(Failure) -> SrtStreamId {
        let parts = body.scalarFields(omittingEmpty: false, where: { $0 == ":" }).map(String.init)
        var user: String?, password: String?, query = ""
        switch parts.count {
        case 1: break
        case 2: query = parts[1]
        case 3: (user, password) = (parts[1], parts[2])
        case 4: (user, password, query) = (parts[1], parts[2], parts[3])
        default: throw .malformed("MediaMTX form has at most path:user:pass:query")
        }
        let (app, stream, rq) = try resource(parts[0])
        return SrtStreamId(mode: mode, app: app, stream: stream, user: user, password: password,
                           query: [rq, query].filter { !$0.isEmpty }.joined(separator: "&"), dialect: .mediamtx)
    }

    /// `app/stream[?query]`; the app may have several levels (`a/b/stream`), as the bus's keys allow.
    static func resource(_ text: String) throws(Failure) -> (app: String, stream: String, query: String) {
        var path = Substring(text), query = ""
        if let q = text.unicodeScalars.firstIndex(of: "?") {
            path = Substring(text.unicodeScalars[..<q])
            query = String(Substring(text.unicodeScalars[text.unicodeScalars.index(after: q)...]))
        }
        if path.hasScalarPrefix("/") { path = path.droppingScalars(1) }
        let parts = path.scalarFields(omittingEmpty: false, where: { $0 == "/" })
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { throw .badResource(String(path)) }
        return (parts.dropLast().joined(separator: "/"), String(parts[parts.count - 1]), query)
    }

    /// The access-control form a caller sends (pulls and pushes of this server).
    public var accessControlText: String {
        var keys = ["r=\(app)/\(stream)", "m=\(mode.rawValue)"]
        if let vhost { keys.append("h=\(vhost)") }
        if let user { keys.append("u=\(user)") }
        return "#!::" + keys.joined(separator: ",")
    }
}

/// The streamid's separators are ASCII and libsrt hands over bytes, so it is cut by Unicode scalars, never by
/// Characters: a separator followed by a combining mark (`=` U+07AF) is one Character, and cutting by
/// Characters would miss it, so that what we send for a stream (`r=app/stream`) would not parse back to it.
extension Substring {
    func hasScalarPrefix(_ prefix: String) -> Bool { unicodeScalars.starts(with: prefix.unicodeScalars) }

    func droppingScalars(_ n: Int) -> Substring { Substring(unicodeScalars.dropFirst(n)) }

    func scalarFields(omittingEmpty: Bool = true, where isSeparator: (Unicode.Scalar) -> Bool) -> [Substring] {
        unicodeScalars.split(omittingEmptySubsequences: omittingEmpty, whereSeparator: isSeparator).map(Substring.init)
    }
}
