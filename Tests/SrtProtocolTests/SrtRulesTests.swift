import SrtProtocol
import XCTest

final class SrtRulesTests: XCTestCase {
    func testPassphraseRulesFirstMatchWinsPerDirection() {
        let (rules, problems) = SrtPassphraseRules.parse([
            "live/secret*=0123456789abc",
            "publish:cams/*=publisher-pass|32",
            "read:cams/*=",
            "open/*=",
            "bad/*=short",
            "noequals",
        ], passphrase: "default-pass-0", pbkeylen: 0)
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertEqual(rules.secret(app: "live", stream: "secret1", mode: .publish).passphrase, "0123456789abc")
        XCTAssertEqual(rules.secret(app: "live", stream: "secret1", mode: .request).passphrase, "0123456789abc")
        XCTAssertEqual(rules.secret(app: "cams", stream: "door", mode: .publish), SrtSecret(passphrase: "publisher-pass", keyLength: 32))
        XCTAssertFalse(rules.secret(app: "cams", stream: "door", mode: .request).isEncrypted)
        XCTAssertFalse(rules.secret(app: "open", stream: "x", mode: .publish).isEncrypted)
        // No rule: the table's passphrase; the invalid rule was left out, so bad/* falls through to it too.
        XCTAssertEqual(rules.secret(app: "live", stream: "a", mode: .publish).passphrase, "default-pass-0")
        XCTAssertEqual(rules.secret(app: "bad", stream: "a", mode: .publish).passphrase, "default-pass-0")
    }

    func testPatternsAndSecretLimits() {
        XCTAssertTrue(SrtPassphraseRules.matches("*", "a/b"))
        XCTAssertTrue(SrtPassphraseRules.matches("live/*", "live/a/b"))
        XCTAssertTrue(SrtPassphraseRules.matches("*/cam*", "x/cam12"))
        XCTAssertFalse(SrtPassphraseRules.matches("live/a", "live/ab"))
        XCTAssertFalse(SrtPassphraseRules.matches("live/*x", "live/abc"))
        XCTAssertNotNil(try? SrtSecret.make(String(repeating: "p", count: 79), keyLength: 24).get())
        XCTAssertNil(try? SrtSecret.make(String(repeating: "p", count: 80), keyLength: 0).get())
        XCTAssertNil(try? SrtSecret.make("123456789", keyLength: 0).get())
        XCTAssertNil(try? SrtSecret.make("1234567890", keyLength: 20).get())
    }

    func testURLs() throws {
        let u = try XCTUnwrap(SrtURL("srt://10.0.0.2:9000?streamid=%23!%3A%3Ar%3Dlive%2Fa%2Cm%3Drequest&passphrase=0123456789&latency=200000",
                                     publishing: false))
        XCTAssertEqual(u.host, "10.0.0.2")
        XCTAssertEqual(u.port, 9000)
        XCTAssertEqual(u.streamId, "#!::r=live/a,m=request")
        XCTAssertEqual(u.passphrase, "0123456789")
        XCTAssertEqual(u.latencyMs, 200)
        XCTAssertEqual(SrtURL("srt://h:1?latency=300", publishing: false)?.latencyMs, 300)
        XCTAssertEqual(SrtURL("srt://h:9000/live/cam", publishing: true)?.streamId, "#!::r=live/cam,m=publish")
        XCTAssertEqual(SrtURL("srt://[::1]:9000", publishing: false)?.host, "::1")
        XCTAssertNil(SrtURL("srt://h:9000", publishing: false)?.streamId)
        XCTAssertNil(SrtURL("srt://h", publishing: false))
        XCTAssertNil(SrtURL("srt://h:0", publishing: false))
        XCTAssertNil(SrtURL("srt://h:9000?mode=listener", publishing: false))
        XCTAssertNil(SrtURL("rtmp://h:1935/a/b", publishing: false))
    }

    func testTsMessagesAndInputCheck() {
        XCTAssertEqual(TsMessages.ranges(count: 1316 * 2 + 376), [0..<1316, 1316..<2632, 2632..<3008])
        XCTAssertEqual(TsMessages.ranges(count: 188, payloadSize: 1456), [0..<188])
        XCTAssertEqual(TsMessages.ranges(count: 1504, payloadSize: 1456), [0..<1316, 1316..<1504])
        XCTAssertEqual(TsMessages.ranges(count: 0), [])
        var packet = [UInt8](repeating: 0xFF, count: 188 * 7)
        for i in stride(from: 0, to: packet.count, by: 188) { packet[i] = 0x47 }
        let text = [UInt8]("this is not a transport stream".utf8)
        var check = TsInputCheck(tolerance: 3)
        XCTAssertTrue(packet.withUnsafeBytes { check.accept($0) })
        XCTAssertTrue(text.withUnsafeBytes { check.accept($0) })
        XCTAssertTrue(text.withUnsafeBytes { check.accept($0) })
        XCTAssertTrue(packet.withUnsafeBytes { check.accept($0) }, "a good message resets the run")
        for _ in 0..<2 { XCTAssertTrue(text.withUnsafeBytes { check.accept($0) }) }
        XCTAssertFalse(text.withUnsafeBytes { check.accept($0) })
        XCTAssertEqual(check.badTotal, 5)
        XCTAssertFalse(Array(packet.prefix(187)).withUnsafeBytes { TsInputCheck.isTs($0) })
    }
}
