import TestSupport
import XCTest
@testable import RtspProtocol

final class RtspAuthTests: XCTestCase {
    /// RFC 2617 section 3.5.
    private let rfc2617 = """
        Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", \
        uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", \
        response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"
        """

    func testRfc2617WorkedExample() throws {
        guard case .digest(let d)? = RtspAuthorization(header: rfc2617) else { return XCTFail() }
        XCTAssertEqual(d.username, "Mufasa")
        XCTAssertEqual(d.realm, "testrealm@host.com")
        XCTAssertEqual(d.qop, "auth")
        XCTAssertEqual(d.nc, "00000001")
        XCTAssertEqual(d.cnonce, "0a4f113b")
        XCTAssertEqual(d.opaque, "5ccc069c403ebaf9f0171e9517f40e41")
        XCTAssertTrue(d.verify(password: "Circle Of Life", method: "GET"))
        XCTAssertFalse(d.verify(password: "Circle of Life", method: "GET"))
        XCTAssertFalse(d.verify(password: "Circle Of Life", method: "POST"))
        let ha1 = RtspDigest.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life")
        XCTAssertTrue(d.verify(ha1: ha1, method: "GET"))
        XCTAssertEqual(RtspDigest.response(ha1: ha1, method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                                           qop: "auth", nc: "00000001", cnonce: "0a4f113b"),
                       "6629fae49393a05397450978507c4ef1")
    }

    /// RFC 7616 section 3.9.1 (the same exchange with MD5 and SHA-256).
    func testRfc7616Sha256Example() {
        for (algorithm, expected) in [("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
                                      ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")] {
            let d = RtspDigestCredentials(username: "Mufasa", realm: "http-auth@example.org",
                                          nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri: "/dir/index.html",
                                          response: expected, algorithm: algorithm, qop: "auth", nc: "00000001",
                                          cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
            XCTAssertTrue(d.verify(password: "Circle of Life", method: "GET"), algorithm)
        }
    }

    /// Every Authorization header in a capture must verify with the password the client was given.
    private func verifyCapture(_ vector: String, user: String, password: String, realm: String, nonce: String,
                               file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        var checked = 0
        for m in try messages(vector) {
            guard let value = m.header("Authorization") else { continue }
            let auth = try XCTUnwrap(RtspAuthorization(header: value), file: file, line: line)
            let method = try XCTUnwrap(m.method)
            XCTAssertEqual(auth.username, user, file: file, line: line)
            XCTAssertTrue(auth.verify(username: user, password: password, method: method, realm: realm, nonce: nonce), "\(method)", file: file, line: line)
            XCTAssertFalse(auth.verify(username: user, password: password + "x", method: method), file: file, line: line)
            XCTAssertFalse(auth.verify(username: user, password: password, method: method, nonce: "00" + nonce), file: file, line: line)
            XCTAssertFalse(auth.verify(username: user, password: password, method: method, realm: "other"), file: file, line: line)
            if case .digest(let d) = auth, m.method != "PLAY" {
                XCTAssertFalse(d.verify(password: password, method: "PLAY"), "the method is part of the digest", file: file, line: line)
            }
            checked += 1
        }
        return checked
    }

    func testCapturedClientResponsesVerify() throws {
        let nonce = "0123456789abcdef0123456789abcdef"
        XCTAssertEqual(try verifyCapture(RtspVectors.ffmpegPublishPcmaDigest, user: "alice", password: "s3cr@t", realm: "MediaRouter", nonce: nonce), 4)
        XCTAssertEqual(try verifyCapture(RtspVectors.ffprobePlayTcpDigest, user: "bob", password: "pa55", realm: "MediaRouter", nonce: nonce), 4)
        XCTAssertEqual(try verifyCapture(RtspVectors.gstreamerPlayDigest, user: "carol", password: "wonder1and", realm: "MediaRouter", nonce: nonce), 4)
        XCTAssertEqual(try verifyCapture(RtspVectors.ffprobePlayDigestQop, user: "erin", password: "Circle Of Life", realm: "MediaRouter", nonce: nonce), 4)
        XCTAssertEqual(try verifyCapture(RtspVectors.gstServerRequests, user: "frank", password: "secret", realm: "GStreamer RTSP Server",
                                         nonce: "b717c3bdc6b8a1e0"), 5)
    }

    func testCapturedQopFields() throws {
        let describe = try messages(RtspVectors.ffprobePlayDigestQop)[2]
        guard case .digest(let d)? = RtspAuthorization(header: describe.header("Authorization") ?? "") else { return XCTFail() }
        XCTAssertEqual(d.algorithm, "MD5")
        XCTAssertEqual(d.qop, "auth")
        XCTAssertEqual(d.cnonce, "6faf3bded8b05e18")
        XCTAssertEqual(d.nc, "00000001")
        XCTAssertEqual(d.response, "33aa604a53ba2868255f36dfcd0a8799")
    }

    func testCapturedBasic() throws {
        let value = try XCTUnwrap(try messages(RtspVectors.ffprobeBasic)[2].header("Authorization"))
        XCTAssertEqual(RtspAuthorization(header: value), .basic(username: "dave", password: "op:en"))
        XCTAssertTrue(RtspAuthorization(header: value)?.verify(username: "dave", password: "op:en", method: "DESCRIBE") ?? false)
        XCTAssertFalse(RtspAuthorization(header: value)?.verify(username: "dave", password: "op", method: "DESCRIBE") ?? true)
        XCTAssertEqual(RtspAuthorization.basicHeaderValue(username: "dave", password: "op:en"), value)
    }

    func testClientReproducesFfmpegAgainstGstreamerServer() throws {
        let responses = try parseAll(decodeBase64(RtspVectors.gstServerResponsesBase64))
        guard case .message(.response(401, _), let headers, _) = responses[1] else { return XCTFail() }
        let challenge = headers.compactMap { $0.hasPrefix("WWW-Authenticate: ") ? String($0.dropFirst(18)) : nil }
        var client = RtspClientAuthenticator(username: "frank", password: "secret")
        XCTAssertNil(client.authorization(method: "DESCRIBE", uri: "rtsp://x"))
        XCTAssertTrue(client.handle(challenges: challenge))
        var compared = 0
        for m in try messages(RtspVectors.gstServerRequests) {
            guard let sent = m.header("Authorization"), let method = m.method, let uri = m.uri else { continue }
            XCTAssertEqual(client.authorization(method: method, uri: uri), sent, "byte-identical to what ffmpeg sent")
            compared += 1
        }
        XCTAssertEqual(compared, 5)
    }

    func testClientQopRoundTripsThroughServerVerification() throws {
        let challenge = RtspDigestChallenge(realm: "MediaRouter", nonce: "abc", opaque: "op\"q", algorithm: "MD5", qop: ["auth", "auth-int"])
        var response = RtspMessage.response(status: 401, cseq: 1, headers: [("WWW-Authenticate", challenge.headerValue)])
        response.headers.append(("WWW-Authenticate", #"Basic realm="MediaRouter""#))
        var client = RtspClientAuthenticator(username: "u\"ser", password: "pw")
        XCTAssertTrue(client.handle(unauthorized: response))
        for expectedNc in ["00000001", "00000002"] {
            let value = try XCTUnwrap(client.authorization(method: "SETUP", uri: "rtsp://h/live/a/trackID=0"))
            guard case .digest(let d)? = RtspAuthorization(header: value) else { return XCTFail(value) }
            XCTAssertEqual(d.username, "u\"ser")
            XCTAssertEqual(d.opaque, "op\"q")
            XCTAssertEqual(d.nc, expectedNc)
            XCTAssertEqual(d.cnonce?.count, 16)
            XCTAssertTrue(d.verify(password: "pw", method: "SETUP"))
        }
    }

    func testChallengeChoice() {
        let both = [#"Basic realm="r""#, #"Digest realm="r", nonce="n""#]
        XCTAssertTrue(RtspClientAuthenticator.authorization(challenges: both, method: "DESCRIBE", uri: "rtsp://h/a",
                                                            username: "u", password: "p")?.hasPrefix("Digest ") ?? false)
        let oneHeader = [#"Digest realm="r", nonce="n", algorithm=MD5, Basic realm="r""#]
        XCTAssertEqual(RtspAuthChallenge.parse(oneHeader), [.digest(RtspDigestChallenge(realm: "r", nonce: "n", algorithm: "MD5")), .basic(realm: "r")])
        let sha = [#"Digest realm="r", nonce="n1", algorithm=MD5"#, #"Digest realm="r", nonce="n2", algorithm=SHA-256"#]
        XCTAssertTrue(RtspClientAuthenticator.authorization(challenges: sha, method: "PLAY", uri: "rtsp://h/a", username: "u", password: "p")?
            .contains(#"nonce="n2""#) ?? false)
        XCTAssertEqual(RtspClientAuthenticator.authorization(challenges: [#"Basic realm="MediaRouter""#], method: "DESCRIBE", uri: "rtsp://h",
                                                             username: "dave", password: "op:en"), "Basic ZGF2ZTpvcDplbg==")
        XCTAssertNil(RtspClientAuthenticator.authorization(challenges: [#"Digest realm="r", nonce="n", algorithm=MD5-sess"#, "Bearer x", #"Digest realm="r""#],
                                                           method: "PLAY", uri: "rtsp://h", username: "u", password: "p"))
        XCTAssertNil(RtspClientAuthenticator.authorization(challenges: [#"Digest realm="r", nonce="n", qop="auth-int""#],
                                                           method: "PLAY", uri: "rtsp://h", username: "u", password: "p"))
    }

    func testServerChallenges() {
        let a = RtspDigestChallenge.make(realm: "MediaRouter")
        let b = RtspDigestChallenge.make(realm: "MediaRouter", offerQop: true)
        XCTAssertEqual(a.nonce.count, 32)
        XCTAssertTrue(a.nonce.allSatisfy(\.isHexDigit))
        XCTAssertNotEqual(a.nonce, b.nonce)
        XCTAssertEqual(a.headerValue, #"Digest realm="MediaRouter", nonce="\#(a.nonce)""#)
        XCTAssertEqual(b.headerValue, #"Digest realm="MediaRouter", nonce="\#(b.nonce)", qop="auth""#)
        XCTAssertEqual(RtspAuthChallenge.parse([b.headerValue]), [.digest(b)])
        XCTAssertEqual(RtspAuthChallenge.basic(realm: "MediaRouter").headerValue, #"Basic realm="MediaRouter""#)
    }

    func testMalformedAuthorization() {
        for value in ["", "Digest", "Digest username=\"x\"", "Basic !!!!", "Basic " + "bm9jb2xvbg==", "Bearer abc",
                      "Digest username=\"u\", nonce=\"n\", uri=\"/\"", String(repeating: "Digest a=b, ", count: 2000),
                      "Basic /w==", "Digest =, =, ,,, \"", "Digest username=\"unterminated"] {
            XCTAssertNil(RtspAuthorization(header: value), value.prefix(40).debugDescription)
        }
        let authInt = RtspDigestCredentials(username: "u", realm: "r", nonce: "n", uri: "/", response: "x", qop: "auth-int", nc: "1", cnonce: "c")
        XCTAssertFalse(authInt.verify(password: "p", method: "GET"))
        let noCnonce = RtspDigestCredentials(username: "u", realm: "r", nonce: "n", uri: "/", response: "x", qop: "auth")
        XCTAssertFalse(noCnonce.verify(password: "p", method: "GET"))
    }

    func testAuthParameterFuzz() {
        var rng = SplitMix64(seed: 99)
        let alphabet = Array("Digest Basic realm=\"nonce\\,= uri response qop".utf8)
        for _ in 0..<2000 {
            let s = String(decoding: (0..<Int.random(in: 0...120, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
            _ = RtspAuthorization(header: s)
            _ = RtspAuthChallenge.parse([s])
            _ = RtspClientAuthenticator.authorization(challenges: [s], method: "PLAY", uri: "rtsp://h", username: "u", password: "p")
        }
    }
}
