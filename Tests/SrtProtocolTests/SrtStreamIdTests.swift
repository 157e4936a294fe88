import SrtProtocol
import XCTest

/// Streamids as real clients send them (ffmpeg/OBS, GStreamer for MediaMTX, SRS players, srt-live-transmit),
/// and the refusals with their reject codes.
final class SrtStreamIdTests: XCTestCase {
    private func ok(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SrtStreamId? {
        switch SrtStreamId.parse(text) {
        case .success(let id): return id
        case .failure(let f): XCTFail("\(text): \(f.reason)", file: file, line: line); return nil
        }
    }

    private func refused(_ text: String) -> SrtStreamId.Failure? {
        if case .failure(let f) = SrtStreamId.parse(text) { return f }
        return nil
    }

    func testAccessControlForm() throws {
        let id = try XCTUnwrap(ok("#!::r=live/a,m=publish"))
        XCTAssertEqual(id, SrtStreamId(mode: .publish, app: "live", stream: "a", dialect: .accessControl))
        let full = try XCTUnwrap(ok("#!::h=example.com,r=app/sub/cam,m=request,u=alice,s=abc123,t=stream,token=x1,secret=s"))
        XCTAssertEqual(full.vhost, "example.com")
        XCTAssertEqual(full.app, "app/sub")
        XCTAssertEqual(full.stream, "cam")
        XCTAssertEqual(full.user, "alice")
        XCTAssertEqual(full.session, "abc123")
        XCTAssertEqual(full.mode, .request)
        XCTAssertEqual(full.query, "token=x1&secret=s")
        // No m: a read; a resource's own query is kept first.
        let q = try XCTUnwrap(ok("#!::r=live/b?key=v"))
        XCTAssertEqual(q.mode, .request)
        XCTAssertEqual(q.query, "key=v")
        XCTAssertEqual(id.accessControlText, "#!::r=live/a,m=publish")
        // ffmpeg passes a streamid verbatim, so one percent-encoded in the URL arrives encoded.
        XCTAssertEqual(ok("%23%21%3A%3Ar%3Dlive/a%2Cm%3Dpublish"), id)
    }

    func testMediaMTXForms() throws {
        XCTAssertEqual(ok("publish:live/b"), SrtStreamId(mode: .publish, app: "live", stream: "b", dialect: .mediamtx))
        XCTAssertEqual(ok("read:live/b"), SrtStreamId(mode: .request, app: "live", stream: "b", dialect: .mediamtx))
        let creds = try XCTUnwrap(ok("publish:live/b:bob:pw"))
        XCTAssertEqual(creds.user, "bob")
        XCTAssertEqual(creds.password, "pw")
        XCTAssertEqual(creds.query, "")
        let all = try XCTUnwrap(ok("read:live/b:bob:pw:token=1"))
        XCTAssertEqual(all.query, "token=1")
        XCTAssertEqual(ok("read:live/b:token=1")?.query, "token=1")
        XCTAssertEqual(refused("read:live/b:a:b:c:d"), .malformed("MediaMTX form has at most path:user:pass:query"))
    }

    func testSrsAndPlainForms() throws {
        // SRS's older form: h carries app/stream when there is no r.
        let srs = try XCTUnwrap(ok("#!::h=live/livestream,m=publish"))
        XCTAssertEqual(srs.app, "live")
        XCTAssertEqual(srs.stream, "livestream")
        XCTAssertNil(srs.vhost)
        XCTAssertEqual(srs.mode, .publish)
        let bare = try XCTUnwrap(ok("h=live/cam,m=publish"))
        XCTAssertEqual(bare.dialect, .keyValue)
        XCTAssertEqual(bare.mode, .publish)
        XCTAssertEqual(ok("live/cam"), SrtStreamId(mode: .request, app: "live", stream: "cam", dialect: .plain))
        XCTAssertEqual(ok("/live/cam?token=t")?.query, "token=t")
    }

    func testRefusalsAndTheirRejectCodes() {
        XCTAssertEqual(refused("")?.rejectCode, .badRequest)
        XCTAssertEqual(refused("#!::m=publish")?.rejectCode.rawValue, 1400)
        XCTAssertEqual(refused("#!::r=live/a,m=delete"), .badMode("delete"))
        XCTAssertEqual(refused("#!::r=live/a,m=delete")?.rejectCode.rawValue, 1405)
        XCTAssertEqual(refused("#!::r=live/a,t=file")?.rejectCode.rawValue, 1415)
        XCTAssertEqual(refused("#!::r=live/a,r=live/b"), .malformed("key 'r' given twice"))
        XCTAssertEqual(refused("#!::r=live/a,junk"), .malformed("'junk' is not key=value"))
        XCTAssertEqual(refused("justone"), .badResource("justone"))
        XCTAssertEqual(refused("live/../etc"), .badResource("live/../etc"))
        XCTAssertEqual(refused("live//a"), .badResource("live//a"))
        XCTAssertEqual(refused("live/a\u{1}"), .badCharacters)
        XCTAssertEqual(refused(String(repeating: "x", count: 513)), .tooLong(513))
        // 512 bytes of junk as a client may send them: not UTF-8.
        let junk = (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 0x80) }
        guard case .failure(let f) = SrtStreamId.parse(bytes: junk) else { return XCTFail("junk accepted") }
        XCTAssertEqual(f.rejectCode, .badRequest)
        XCTAssertEqual(SrtRejectCode.conflict.description, "1409 conflict (stream busy)")
        XCTAssertEqual(SrtRejectCode.badSecret.description, "10 bad secret (wrong passphrase)")
        XCTAssertEqual(SrtRejectCode(rawValue: 11).description, "11 unsecure (passphrase missing or unexpected)")
    }

    /// Found by FuzzSrtStreamId: an app starting with a combining mark (U+07AF) glued to the `=` of the
    /// access-control text we send for it (`r=` U+07AF is one Character), so that text did not parse back.
    /// Separators are found by Unicode scalar now, as libsrt's peers cut the bytes.
    func testSeparatorFollowedByACombiningMarkStillSeparates() throws {
        let crash: [UInt8] = Array("\u{7AF}0000000000000000000^%23^^^^^^^^^^%2d.:25/6789ab*1r%3D195/2Fcam%^^^^^hream%23%2d.:25id/6".utf8)
        guard case .success(let plain) = SrtStreamId.parse(bytes: crash) else { return XCTFail("plain streamid refused") }
        let sent = try XCTUnwrap(ok(plain.accessControlText))
        XCTAssertEqual(sent.app, plain.app)
        XCTAssertEqual(sent.stream, "6")
        let marked = try XCTUnwrap(ok("#!::r=\u{301}live/cam,m=publish"))
        XCTAssertEqual(marked.app, "\u{301}live")
        XCTAssertEqual(marked.mode, .publish)
        let mediamtx = try XCTUnwrap(ok("publish:\u{301}live/cam:\u{301}user:pass"))
        XCTAssertEqual(mediamtx.dialect, .mediamtx)
        XCTAssertEqual(mediamtx.app, "\u{301}live")
        XCTAssertEqual(mediamtx.user, "\u{301}user")
        XCTAssertEqual(ok("\u{301}live/\u{301}cam?\u{301}t=1")?.stream, "\u{301}cam")
    }
}
