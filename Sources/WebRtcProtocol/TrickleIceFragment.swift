/// An `application/trickle-ice-sdpfrag` body (RFC 8840 9, RFC 9725 4.4): ICE credentials, then per media
/// section (`m=` and `a=mid:`) the candidates trickled and `a=end-of-candidates`. Lines it does not use
/// (`a=ice-options`, `a=group`, ...) are skipped, but every line is bounded and checked.
public struct TrickleIceFragment: Sendable, Equatable {
    public var ufrag: String?
    public var password: String?
    /// `a=candidate:` values (without the `a=candidate:` prefix), in order.
    public var candidates: [String] = []
    public var endOfCandidates = false

    public static let maxBytes = 16 * 1024
    public static let maxLines = 256
    public static let maxLineLength = 1024

    public init() {}

    public init(parsing text: String) throws(SdpError) {
        let utf8 = text.utf8
        guard utf8.count <= Self.maxBytes else { throw .tooLarge(bytes: utf8.count, limit: Self.maxBytes) }
        let lines = text.split(omittingEmptySubsequences: true) { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }
        guard lines.count <= Self.maxLines else { throw .tooManyLines(limit: Self.maxLines) }
        for (i, line) in lines.enumerated() {
            let number = i + 1
            guard line.utf8.count <= Self.maxLineLength else { throw .lineTooLong(line: number, limit: Self.maxLineLength) }
            guard line.count >= 2, line.dropFirst().first == "=" else { throw .malformedLine(line: number, text: String(line.prefix(80))) }
            guard line.first == "a" else { continue }
            let value = line.dropFirst(2)
            let nv = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = nv.first ?? "", argument = nv.count == 2 ? nv[1] : nil
            switch name {
            case "ice-ufrag":
                guard let a = argument, IceCredentials.isValid(a, minimum: 4) else { throw .invalid("ice-ufrag on line \(number)") }
                guard ufrag == nil || ufrag == String(a) else { throw .invalid("second ice-ufrag on line \(number)") }
                ufrag = String(a)
            case "ice-pwd":
                guard let a = argument, IceCredentials.isValid(a, minimum: 22) else { throw .invalid("ice-pwd on line \(number)") }
                guard password == nil || password == String(a) else { throw .invalid("second ice-pwd on line \(number)") }
                password = String(a)
            case "candidate":
                // foundation component transport priority address port typ type ... (RFC 8839 5.1)
                guard let a = argument, a.split(separator: " ").count >= 8 else { throw .invalid("candidate on line \(number)") }
                candidates.append(String(a))
            case "end-of-candidates":
                endOfCandidates = true
            default:
                continue
            }
        }
        guard (ufrag == nil) == (password == nil) else { throw .missing("both ice-ufrag and ice-pwd (an ICE restart needs the pair)") }
    }

    /// The answer to an ICE restart (RFC 9725 4.4.2): a lite agent's new credentials.
    public static func restartAnswer(_ local: IceCredentials) -> String {
        "a=ice-lite\r\na=ice-ufrag:\(local.ufrag)\r\na=ice-pwd:\(local.password)\r\n"
    }
}
