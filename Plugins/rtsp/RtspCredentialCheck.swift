import RtspProtocol

/// The plugin's own credential check (users from the config), before the core's auth question: Digest
/// against the nonce this connection was given, or Basic.
enum RtspCredentialCheck {
    enum Outcome {
        case allowed(user: String, password: String?)
        /// Answer 401 with these headers; `why` is worth a log line (wrong credentials, not a first try).
        case challenge(headers: [(String, String)], why: String?)
    }

    static func check(_ r: RtspMessage, settings: RtspSettings, nonce: String) -> Outcome {
        let challenge: (String, String) = settings.authMode == .digest
            ? ("WWW-Authenticate", RtspDigestChallenge(realm: settings.realm, nonce: nonce).headerValue)
            : ("WWW-Authenticate", "Basic realm=\"\(settings.realm)\"")
        guard let header = r.header("Authorization") else { return .challenge(headers: [challenge], why: nil) }
        guard let auth = RtspAuthorization(header: header) else {
            return .challenge(headers: [challenge], why: "unreadable Authorization header")
        }
        if settings.authMode == .digest, case .basic = auth {
            return .challenge(headers: [challenge], why: "Basic credentials where Digest is required")
        }
        let user = auth.username
        guard let password = settings.users[user],
              auth.verify(username: user, password: password, method: r.method ?? "", realm: settings.realm, nonce: nonce) else {
            return .challenge(headers: [challenge], why: "wrong user or password for '\(user)'")
        }
        if case .basic = auth { return .allowed(user: user, password: password) }
        return .allowed(user: user, password: nil)
    }
}
