/// ICE username fragment and password (RFC 8839 5.4): at least 4 and 22 ice-chars, at most 256.
public struct IceCredentials: Hashable, Sendable {
    public var ufrag: String
    public var password: String

    public init(ufrag: String, password: String) {
        self.ufrag = ufrag
        self.password = password
    }

    static let iceChars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// Fresh credentials; the generator is a parameter so tests replay (the plugin passes the system one).
    /// 8 characters of ufrag keep the session table sparse; 24 of password give 144 bits.
    public static func random<G: RandomNumberGenerator>(using rng: inout G) -> IceCredentials {
        func text(_ n: Int) -> String { String((0..<n).map { _ in iceChars[Int(rng.next() % UInt64(iceChars.count))] }) }
        return IceCredentials(ufrag: text(8), password: text(24))
    }

    /// True for a legal ice-ufrag/ice-pwd value of `minimum` to 256 characters.
    public static func isValid(_ s: Substring, minimum: Int) -> Bool {
        (minimum...256).contains(s.utf8.count) && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/") }
    }
}
