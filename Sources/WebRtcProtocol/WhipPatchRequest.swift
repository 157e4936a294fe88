/// What a PATCH on a WHIP/WHEP session asks (RFC 9725 4.4), decided from its headers and body alone: trickled
/// candidates, an ICE restart, or a refusal with its status. The session applies it.
public enum WhipPatchRequest: Sendable, Equatable {
    /// Candidates for an ICE-lite server, which learns addresses from the checks themselves: answered 204.
    case trickle(TrickleIceFragment)
    /// New remote credentials: the server makes new ones of its own and answers 200 with them.
    case restart(remote: IceCredentials)
    case refused(status: Int, reason: String)

    public static let mediaType = "application/trickle-ice-sdpfrag"

    /// The entity tag of an ICE session: it changes exactly when the credentials do.
    public static func etag(localUfrag: String) -> String { "\"\(localUfrag)\"" }

    /// `etag` is the session's current one, `remoteUfrag` the ufrag of the peer's current ICE session.
    public static func decide(contentType: String?, ifMatch: String?, body: String, etag: String, remoteUfrag: String?) -> WhipPatchRequest {
        let type = contentType?.split(separator: ";").first.map { String($0).trimmingSpaces().lowercased() } ?? ""
        guard type == mediaType else {
            return .refused(status: 415, reason: "PATCH takes \(mediaType), not \(type.isEmpty ? "an untyped body" : type)")
        }
        let fragment: TrickleIceFragment
        do { fragment = try TrickleIceFragment(parsing: body) } catch {
            return .refused(status: 400, reason: "bad \(mediaType): \(error)")
        }
        // RFC 9110 13.1.1: "*" matches any current representation; otherwise one of the listed tags must.
        let tags = ifMatch.map { $0.split(separator: ",").map { String($0).trimmingSpaces() } }
        let wildcard = tags == ["*"]
        if let tags, !wildcard, !tags.contains(etag) {
            return .refused(status: 412, reason: "If-Match \(tags.joined(separator: ", ")) is not the ICE session's ETag \(etag)")
        }
        if let ufrag = fragment.ufrag, let password = fragment.password, ufrag != remoteUfrag {
            return .restart(remote: IceCredentials(ufrag: ufrag, password: password))
        }
        return .trickle(fragment)
    }
}
