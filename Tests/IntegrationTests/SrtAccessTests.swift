import Foundation
import XCTest

/// Who may connect: passphrases per stream (right, wrong, missing), streamid refusals with their reject
/// codes as a libsrt caller reads them (srt_getrejectreason), and bad input that must leave others alone.
final class SrtAccessTests: XCTestCase {
    func testPassphrasesAndRejectCodes() throws {
        let srt = freePort(), http = freePort()
        let pass = "right-passphrase-1"
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http, extra: """
            [srt]
            port = \(srt)
            passphrases = ["live/secure=\(pass)"]
            """)
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publisher = try SrtTools.publish(port: srt, streamId: "#!::r=live/secure,m=publish", seconds: 30, passphrase: pass)
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog("publisher live/secure from 127.0.0.1"), s.log)
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)

        // Right passphrase: plays.
        let p = try MediaTools.probe(SrtTools.url(port: srt, streamId: "#!::r=live/secure,m=request", passphrase: pass), seconds: 2)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertGreaterThan(p.videoFrames, 25)
        // Wrong and missing: libsrt refuses with BADSECRET and UNSECURE.
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "#!::r=live/secure,m=request", args: ["--passphrase", "wrong-passphrase-2"]),
                       "rejected 10")
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "#!::r=live/secure,m=request"), "rejected 11")
        // Our own codes from the listen callback.
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "#!::r=live/secure,m=publish", args: ["--passphrase", pass]),
                       "rejected 1409")
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "#!::r=live/x,m=delete"), "rejected 1405")
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "nopath"), "rejected 1400")
        XCTAssertTrue(s.log.contains("reject 1409 conflict (stream busy)"), s.log)
        XCTAssertTrue(s.log.contains("reject 1405 bad mode"), s.log)
        // A stream without a rule needs no passphrase.
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "#!::r=live/open,m=publish"), "connected")
    }

    func testBadInputIsLoggedAndLeavesOthersAlone() throws {
        let srt = freePort(), http = freePort()
        let s = try ServerProcess.started(rtmp: freePort(), rtsp: freePort(), http: http, extra: "[srt]\nport = \(srt)")
        defer { XCTAssertEqual(s.stop(), 0, s.log) }
        XCTAssertTrue(s.waitForLog("[srt] listening on"), s.log)
        let publisher = try SrtTools.publish(port: srt, streamId: "#!::r=live/good,m=publish", seconds: 30)
        defer { SrtTools.stop(publisher) }
        XCTAssertTrue(s.waitForLog(": publishing"), s.log)

        // Garbage datagrams on the port, some looking like SRT control packets.
        var rng = SystemRandomNumberGenerator()
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(srt).bigEndian
        for i in 0..<500 {
            var d = (0..<(16 + i % 1400)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 2 == 0 { d[0] |= 0x80 }   // the control-packet bit
            _ = withUnsafePointer(to: &addr) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, d, d.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        // A 512-byte junk streamid.
        let junk = (0..<512).map { String(format: "%02x", UInt8(truncatingIfNeeded: $0 &* 131 &+ 7)) }.joined()
        XCTAssertEqual(try SrtTools.client(port: srt, streamId: "", args: ["--streamid-hex", junk]), "rejected 1400")
        XCTAssertTrue(s.waitForLog("refused 127.0.0.1"), s.log)
        // A publisher whose payload is not MPEG-TS is dropped: its sends fail within the 3 s it tries.
        let junkRun = try SrtTools.clientLines(port: srt, streamId: "#!::r=live/junk,m=publish", args: ["--send-junk", "3"])
        XCTAssertEqual(junkRun.first, "connected", "\(junkRun)")
        XCTAssertTrue(junkRun.contains { $0.hasPrefix("closed by server") }, "the junk publisher was not hung up on: \(junkRun)")
        XCTAssertTrue(s.waitForLog("the payload is not MPEG-TS"), s.log)

        // The good stream went on.
        let p = try MediaTools.probe(SrtTools.url(port: srt, streamId: "live/good"), seconds: 2)
        XCTAssertEqual(p.videoCodec, "h264")
        XCTAssertGreaterThan(p.videoFrames, 25)
        XCTAssertFalse(s.log.split(separator: "\n").contains { $0.contains("publisher live/good") && $0.contains(" ended:") }, s.log)
    }
}
