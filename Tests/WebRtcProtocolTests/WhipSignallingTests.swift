import XCTest
@testable import WebRtcProtocol

/// RFC 9725's signalling pieces that need no I/O: ICE server links (4.6), trickle-ice-sdpfrag bodies (RFC 8840)
/// and what a PATCH asks (4.4).
final class WhipSignallingTests: XCTestCase {
    // MARK: ice servers

    func testStunAndTurnServersBecomeLinkHeaders() throws {
        XCTAssertEqual(try IceServer.parse("stun:stun.example.net").get().linkValue, #"<stun:stun.example.net>; rel="ice-server""#)
        let turn = try IceServer.parse("turn:user%40corp:pa%3Ass:w\"@turn.example.net:3478?transport=udp")
        XCTAssertThrowsError(try turn.get(), "a raw quote could end the header's quoted-string")
        let ok = try IceServer.parse("turn:user%40corp:pa%3Ass:w%22@turn.example.net:3478?transport=udp").get()
        XCTAssertEqual(ok.uri, "turn:turn.example.net:3478?transport=udp")
        XCTAssertEqual(ok.username, "user@corp")
        XCTAssertEqual(ok.credential, "pa:ss:w\"")
        XCTAssertEqual(ok.linkValue, #"<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="user@corp"; credential="pa:ss:w\""; credential-type="password""#)
        XCTAssertEqual(try IceServer.parse("TURNS:u:p@h").get().uri, "turns:h")
    }

    func testUnusableIceServersAreRefusedWithAReason() {
        for bad in ["", "http://x", "stun:", "stun://host", "stun:a b", "stun:<x>", "stun:x\r\nSet-Cookie: a", "stun:u:p@host",
                    "turn:%zz@host", "turn:u:%0a@host", "turn:@host", String(repeating: "a", count: 2000)] {
            if case .success(let s) = IceServer.parse(bad) { XCTFail("\(bad.debugDescription) accepted as \(s)") }
        }
    }

    // MARK: fragments

    static let restart = "a=ice-options:trickle ice2\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
        + "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
        + "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n"
        + "a=end-of-candidates\r\n"

    func testTrickleFragmentsParse() throws {
        let f = try TrickleIceFragment(parsing: Self.restart)
        XCTAssertEqual(f.ufrag, "EsAw")
        XCTAssertEqual(f.password, "P2uYro0UCOQ4zxjKXaWCBui1")
        XCTAssertEqual(f.candidates, ["1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1"])
        XCTAssertTrue(f.endOfCandidates)
        XCTAssertEqual(try TrickleIceFragment(parsing: "a=end-of-candidates\n"), { var e = TrickleIceFragment(); e.endOfCandidates = true; return e }())
        XCTAssertEqual(TrickleIceFragment.restartAnswer(IceCredentials(ufrag: "abcd", password: "p")), "a=ice-lite\r\na=ice-ufrag:abcd\r\na=ice-pwd:p\r\n")
    }

    func testBrokenFragmentsAreRefused() {
        let bad = [
            "a=ice-ufrag:EsAw\r\n",                                         // a ufrag without its password
            "a=ice-ufrag:a b\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n",      // not ice-chars
            "a=ice-ufrag:EsAw\r\na=ice-pwd:short\r\n",                       // password under 22
            "a=candidate:1 1 udp\r\n",                                      // truncated candidate
            "garbage\r\n",
            "a=ice-ufrag:EsAw\r\na=ice-ufrag:Other\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n",
            String(repeating: "a=x\r\n", count: 300),
            "a=" + String(repeating: "x", count: 2000),
            String(repeating: "a", count: 20_000),
        ]
        for text in bad {
            XCTAssertThrowsError(try TrickleIceFragment(parsing: text), String(text.prefix(60)).debugDescription)
        }
    }

    // MARK: PATCH

    let etag = WhipPatchRequest.etag(localUfrag: "srvU")
    let frag = WhipPatchRequest.mediaType

    func decide(_ type: String?, _ ifMatch: String?, _ body: String) -> WhipPatchRequest {
        WhipPatchRequest.decide(contentType: type, ifMatch: ifMatch, body: body, etag: etag, remoteUfrag: "cliU")
    }

    func testPatchTrickleRestartAndRefusals() {
        XCTAssertEqual(etag, "\"srvU\"")
        let trickle = "a=ice-ufrag:cliU\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\na=candidate:1 1 udp 1 192.0.2.1 5 typ host\r\n"
        guard case .trickle(let f) = decide(frag + "; charset=utf-8", etag, trickle) else { return XCTFail() }
        XCTAssertEqual(f.candidates.count, 1)
        guard case .trickle = decide(frag, nil, "a=end-of-candidates\r\n") else { return XCTFail("If-Match is optional") }
        XCTAssertEqual(decide(frag, "\"other\"", trickle), .refused(status: 412, reason: "If-Match \"other\" is not the ICE session's ETag \"srvU\""))
        guard case .trickle = decide(frag, "\"other\", \"srvU\"", trickle) else { return XCTFail("one of the listed tags matches") }
        guard case .refused(415, _) = decide("application/sdp", etag, trickle) else { return XCTFail() }
        guard case .refused(415, _) = decide(nil, etag, trickle) else { return XCTFail() }
        guard case .refused(400, _) = decide(frag, etag, "a=ice-ufrag:cliU\r\n") else { return XCTFail() }

        XCTAssertEqual(decide(frag, "*", Self.restart), .restart(remote: IceCredentials(ufrag: "EsAw", password: "P2uYro0UCOQ4zxjKXaWCBui1")))
        guard case .refused(412, _) = decide(frag, "\"stale\"", Self.restart) else { return XCTFail("a restart with a stale tag") }
    }
}
