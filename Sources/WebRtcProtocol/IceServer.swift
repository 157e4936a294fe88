/// A STUN or TURN server the WHIP/WHEP client may use (RFC 7064/7065 URI), announced in a
/// `Link: <uri>; rel="ice-server"` header (RFC 9725 4.6). Configured as one string, credentials in the
/// userinfo part: `stun:stun.example.net:3478`, `turn:user:secret@turn.example.net:3478?transport=udp`.
public struct IceServer: Sendable, Equatable {
    /// The URI without credentials, as it goes between `<` and `>`.
    public var uri: String
    public var username: String?
    public var credential: String?

    static let schemes: Set<String> = ["stun", "stuns", "turn", "turns"]
    static let maxLength = 1024

    /// Nil, with the reason, for anything that is not a usable stun:/turn: URI or could break the header
    /// (quotes, angle brackets, control characters, spaces).
    public static func parse(_ text: String) -> Result<IceServer, IceServerError> {
        guard !text.isEmpty, text.utf8.count <= maxLength else { return .failure(.invalid("empty or longer than \(maxLength) bytes")) }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"\"<>\\".unicodeScalars.contains($0) }) else {
            return .failure(.invalid("control characters, spaces, quotes or angle brackets"))
        }
        guard let colon = text.firstIndex(of: ":") else { return .failure(.invalid("no scheme")) }
        let scheme = text[..<colon].lowercased()
        guard schemes.contains(scheme) else { return .failure(.invalid("scheme \(scheme) is none of stun, stuns, turn, turns")) }
        var rest = text[text.index(after: colon)...]
        var username: String?, credential: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = parts.first.flatMap({ percentDecoded($0) }), !user.isEmpty,
                  let secret = (parts.count == 2 ? percentDecoded(parts[1]) : "") else {
                return .failure(.invalid("malformed user:credential part"))
            }
            guard scheme.hasPrefix("turn") else { return .failure(.invalid("credentials are for TURN servers")) }
            username = user
            credential = secret
        }
        let host = rest.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: ":").first ?? "" } ?? ""
        guard !host.isEmpty, !rest.hasPrefix("/") else { return .failure(.invalid("no host")) }
        return .success(IceServer(uri: "\(scheme):\(rest)", username: username, credential: credential))
    }

    public init(uri: String, username: String? = nil, credential: String? = nil) {
        self.uri = uri
        self.username = username
        self.credential = credential
    }

    /// The value of one `Link` header (RFC 9725 4.6, RFC 8288 quoted-string parameters).
    public var linkValue: String {
        var v = "<\(uri)>; rel=\"ice-server\""
        if let username {
            v += "; username=\"\(Self.quoted(username))\"; credential=\"\(Self.quoted(credential ?? ""))\"; credential-type=\"password\""
        }
        return v
    }

    static func quoted(_ s: String) -> String {
        String(s.flatMap { $0 == "\\" || $0 == "\"" ? ["\\", $0] : [$0] })
    }

    /// %XX escapes decoded; nil for a broken escape or a result that is not printable ASCII/UTF-8 without controls.
    static func percentDecoded(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let u = s.utf8
        while i != u.endIndex {
            if u[i] == UInt8(ascii: "%") {
                let h = u.index(i, offsetBy: 1, limitedBy: u.endIndex), l = h.flatMap { u.index($0, offsetBy: 1, limitedBy: u.endIndex) }
                guard let h, let l, l != u.endIndex, let b = UInt8(String(decoding: [u[h], u[l]], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(b)
                i = u.index(after: l)
            } else {
                bytes.append(u[i])
                i = u.index(after: i)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return nil
        }
        return text
    }
}

public enum IceServerError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let why): "not a stun:/turn: server URI: \(why)"
        }
    }
}
