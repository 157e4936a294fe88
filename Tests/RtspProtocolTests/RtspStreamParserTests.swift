import Foundation
import TestSupport
import XCTest
@testable import RtspProtocol

final class RtspStreamParserTests: XCTestCase {
    func testFfmpegPublishMessages() throws {
        let list = try messages(RtspVectors.ffmpegPublishUdp)
        XCTAssertEqual(list.map { $0.method }, ["OPTIONS", "ANNOUNCE", "SETUP", "SETUP", "RECORD", "TEARDOWN"])
        XCTAssertEqual(list.map { $0.cseq }, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(list[0].uri, "rtsp://127.0.0.1:18554/live/a")
        XCTAssertEqual(list[0].version, "RTSP/1.0")
        XCTAssertEqual(list[0].header("user-agent"), "Lavf59.27.100")
        XCTAssertEqual(list[1][header: "CONTENT-TYPE"], "application/sdp")
        XCTAssertEqual(list[1].body.count, 495)
        XCTAssertTrue(String(decoding: list[1].body, as: UTF8.self).hasPrefix("v=0\r\n"))
        XCTAssertEqual(list[2].uri, "rtsp://127.0.0.1:18554/live/a/streamid=0")
        XCTAssertNil(list[2].header("Session"))
        XCTAssertEqual(list[3].header("Session"), "12345678")
        XCTAssertEqual(list[4].header("Range"), "npt=0.000-")
    }

    func testEveryTextVectorParsesCompletely() throws {
        let vectors = [RtspVectors.ffmpegPublishUdp, RtspVectors.ffmpegPublishH265Opus, RtspVectors.ffmpegPublishPcmaDigest,
                       RtspVectors.ffmpegPublishPcmu, RtspVectors.gstreamerPublishUdp, RtspVectors.ffprobePlayUdp,
                       RtspVectors.ffprobePlayTcpDigest, RtspVectors.gstreamerPlayDigest, RtspVectors.ffprobePlayDigestQop,
                       RtspVectors.ffprobeBasic, RtspVectors.gstServerRequests]
        for v in vectors {
            let list = try messages(v)
            XCTAssertFalse(list.isEmpty)
            XCTAssertEqual(list.map { $0.cseq }, Array(1...list.count).map { Optional($0) }, "CSeq runs 1...n in every capture")
            XCTAssertTrue(list.allSatisfy { $0.isRequest && $0.version == "RTSP/1.0" })
        }
    }

    func testGstreamerDuplicateHeadersKeptInOrder() throws {
        let options = try messages(RtspVectors.gstreamerPlayDigest)[0]
        XCTAssertEqual(options.headerValues("User-Agent").count, 2)
        XCTAssertEqual(options.header("User-Agent"), "GStreamer/1.22.0")
        XCTAssertEqual(options.header("PlayerStarttime"), "[28/03/2003:22:50:23 00:00]")
    }

    func testFfmpegTcpCaptureMixesMessagesAndFrames() throws {
        let bytes = decodeBase64(RtspVectors.ffmpegPublishTcpBase64)
        XCTAssertGreaterThan(bytes.count, 8000)
        let all = try parseAll(bytes)
        let methods = all.compactMap { f -> String? in
            if case .message(.request(let m, _), _, _) = f { return m }
            return nil
        }
        XCTAssertEqual(methods, ["OPTIONS", "ANNOUNCE", "SETUP", "SETUP", "RECORD"])
        let frames = all.compactMap { f -> (UInt8, [UInt8])? in
            if case .frame(let c, let p) = f { return (c, p) }
            return nil
        }
        XCTAssertGreaterThanOrEqual(frames.count, 9)
        XCTAssertEqual(frames[0].0, 3)
        XCTAssertEqual(frames[0].1.count, 28)
        XCTAssertEqual(frames[1].0, 1)
        XCTAssertEqual(frames[2].0, 0)
        XCTAssertEqual(frames[2].1.count, 606)
        XCTAssertTrue(frames.allSatisfy { [0, 1, 2, 3].contains($0.0) && $0.1.first.map { $0 >> 6 } == 2 }, "RTP/RTCP version 2")
        XCTAssertTrue(frames.filter { $0.0 % 2 == 1 }.allSatisfy { $0.1[1] == 200 }, "odd channels carry RTCP sender reports")

        XCTAssertEqual(try parseAll(bytes, chunk: 1), all, "byte-by-byte feeding gives the same result")
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20 {
            XCTAssertEqual(try parseAll(bytes, chunk: Int.random(in: 1...3000, using: &rng)), all)
        }
    }

    func testGstreamerTcpCaptureAudioFirst() throws {
        let all = try parseAll(decodeBase64(RtspVectors.gstreamerPublishTcpBase64), chunk: 7)
        guard case .message(.request("SETUP", let uri), let headers, _) = all[2] else { return XCTFail("\(all[2])") }
        XCTAssertEqual(uri, "rtsp://127.0.0.1:18562/live/gst2/stream=1")
        XCTAssertTrue(headers.contains("Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=RECORD"))
        XCTAssertEqual(all.filter { if case .frame = $0 { return true }; return false }.count, 12)
    }

    func testServerResponsesForTheClientSide() throws {
        let all = try parseAll(decodeBase64(RtspVectors.gstServerResponsesBase64), chunk: 100)
        var statuses: [Int] = []
        var frames = 0
        for f in all {
            switch f {
            case .message(.response(let s, let reason), let headers, let body):
                statuses.append(s)
                if s == 401 {
                    XCTAssertEqual(reason, "Unauthorized")
                    XCTAssertTrue(headers.contains(#"WWW-Authenticate: Digest realm="GStreamer RTSP Server", nonce="b717c3bdc6b8a1e0""#))
                }
                if !body.isEmpty {
                    XCTAssertEqual(body.count, 836)
                    XCTAssertTrue(headers.contains("Content-Base: rtsp://127.0.0.1:18575/live/cam/"))
                }
            case .frame:
                frames += 1
            default:
                XCTFail("a request in the server's stream")
            }
        }
        XCTAssertEqual(statuses, [200, 401, 200, 200, 200, 200, 200])
        XCTAssertEqual(frames, 10)
    }

    /// A synthetic mix of every shape: message, frames, message with body, bare-LF message, empty frame.
    private var mix: [UInt8] {
        var b = Array("OPTIONS rtsp://h/live/a RTSP/1.0\r\nCSeq: 1\r\n\r\n".utf8)
        b += [0x24, 0, 0, 5, 0x80, 0x60, 1, 2, 3]
        b += [0x24, 1, 0, 4, 0x80, 0xC8, 0, 1]
        b += Array("ANNOUNCE rtsp://h/live/a RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 10\r\n\r\n0123456789".utf8)
        b += Array("RTSP/1.0 200 OK\nCSeq: 3\n\n".utf8)
        b += [0x24, 2, 0, 0]
        b += Array("\r\nTEARDOWN rtsp://h/live/a RTSP/1.0\r\nCSeq: 4\r\n\r\n".utf8)
        return b
    }

    func testMixByteByByteAndEveryTruncation() throws {
        let bytes = mix
        let all = try parseAll(bytes)
        XCTAssertEqual(all.count, 7)
        XCTAssertEqual(all[1], .frame(channel: 0, payload: [0x80, 0x60, 1, 2, 3]))
        guard case .message(_, _, let body) = all[3] else { return XCTFail() }
        XCTAssertEqual(body, Array("0123456789".utf8))
        guard case .message(.response(200, "OK"), _, _) = all[4] else { return XCTFail("\(all[4])") }
        XCTAssertEqual(all[5], .frame(channel: 2, payload: []))
        XCTAssertEqual(try parseAll(bytes, chunk: 1), all)
        for n in 0...bytes.count {
            let part = try parseAll(Array(bytes[..<n]))
            XCTAssertEqual(part, Array(all.prefix(part.count)), "prefix \(n)")
            XCTAssertEqual(try parseAll(Array(bytes[..<n]), chunk: 3), part, "prefix \(n) in 3-byte pieces")
        }
    }

    func testEveryTruncationOfCapturedSession() throws {
        let bytes = Array(RtspVectors.ffmpegPublishPcmaDigest.utf8)
        let all = try parseAll(bytes)
        for n in stride(from: 0, through: bytes.count, by: 1) {
            var p = RtspStreamParser()
            p.append(bytes[..<n])
            var count = 0
            while try p.next() != nil { count += 1 }
            XCTAssertLessThanOrEqual(count, all.count)
        }
    }

    func testBodyArrivingLater() throws {
        var p = RtspStreamParser()
        p.append(Array("ANNOUNCE rtsp://h/a RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 6\r\n\r\nab".utf8))
        XCTAssertNil(try p.next())
        p.append(Array("cd".utf8))
        XCTAssertNil(try p.next())
        p.append(Array("ef$".utf8))
        guard case .message(let m)? = try p.next() else { return XCTFail() }
        XCTAssertEqual(m.body, Array("abcdef".utf8))
        XCTAssertNil(try p.next())
        XCTAssertEqual(p.bufferedByteCount, 1)
    }

    func testRequestLineVariants() throws {
        let all = try parseAll(Array("options rtsp://h/a RTSP/1.0\r\ncseq: 9\r\n\r\nSetup rtsp://h/a/trackID=1 RTSP/1.0\r\n\r\n".utf8))
        guard case .message(.request("OPTIONS", "rtsp://h/a"), ["cseq: 9"], _) = all[0] else { return XCTFail("\(all[0])") }
        guard case .message(.request("SETUP", _), let headers, _) = all[1] else { return XCTFail("\(all[1])") }
        XCTAssertTrue(headers.isEmpty, "a missing CSeq is left for the server to answer")
    }

    func testFoldedHeaderAndEmptyValues() throws {
        let list = try messages("PLAY rtsp://h/a RTSP/1.0\r\nCSeq: 1\r\nX-Long: one\r\n  two\r\nX-Empty:\r\n\r\n")
        XCTAssertEqual(list[0].header("x-long"), "one two")
        XCTAssertEqual(list[0].header("X-Empty"), "")
    }

    func testResponseLines() throws {
        let all = try parseAll(Array("RTSP/1.0 200\r\nCSeq: 1\r\n\r\nRTSP/1.0 454 Session Not Found\r\n\r\n".utf8))
        guard case .message(.response(200, ""), _, _) = all[0] else { return XCTFail("\(all[0])") }
        guard case .message(.response(454, "Session Not Found"), _, _) = all[1] else { return XCTFail("\(all[1])") }
    }

    func testMalformedInputsThrow() {
        let bad: [String] = [
            "\u{0}\u{1}\u{2}",
            "HELLO\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "OPTIONS rtsp://h RTSP/1.0 extra\r\n\r\n",
            "OPTIONS rtsp://h RTSP/10\r\n\r\n",
            "OPT\u{1}IONS rtsp://h RTSP/1.0\r\n\r\n",
            "RTSP/1.0 2000 OK\r\n\r\n",
            "RTSP/1.0 abc OK\r\n\r\n",
            "RTSP/1.0 099 Low\r\n\r\n",
            String(repeating: "A", count: 40),
            "OPTIONS rtsp://h RTSP/1.0\r\nNo colon here\r\n\r\n",
            "OPTIONS rtsp://h RTSP/1.0\r\n: empty name\r\n\r\n",
            "OPTIONS rtsp://h RTSP/1.0\r\nBad Name: x\r\n\r\n",
            "OPTIONS rtsp://h RTSP/1.0\r\n folded first\r\n\r\n",
            "ANNOUNCE rtsp://h RTSP/1.0\r\nContent-Length: -1\r\n\r\n",
            "ANNOUNCE rtsp://h RTSP/1.0\r\nContent-Length: 12x\r\n\r\n",
            "ANNOUNCE rtsp://h RTSP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "ANNOUNCE rtsp://h RTSP/1.0\r\nContent-Length: 2000000\r\n\r\n",
            "ANNOUNCE rtsp://h RTSP/1.0\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "{\"json\": true}\r\n\r\n",
        ]
        for text in bad {
            var p = RtspStreamParser()
            p.append(Array(text.utf8))
            XCTAssertThrowsError(try p.next(), text.debugDescription)
            XCTAssertThrowsError(try p.next(), "the error sticks")
        }
    }

    func testTooManyHeaders() {
        var text = "OPTIONS rtsp://h RTSP/1.0\r\n"
        for i in 0...RtspStreamParser.maxHeaderCount { text += "X-\(i): 1\r\n" }
        var p = RtspStreamParser()
        p.append(Array((text + "\r\n").utf8))
        XCTAssertThrowsError(try p.next())
    }

    func testHugeHeaderWithoutEndIsRejectedAtTheLimit() throws {
        var p = RtspStreamParser(maxHeaderBytes: 1000)
        let head = Array("OPTIONS rtsp://h RTSP/1.0\r\n".utf8)
        p.append(head)
        XCTAssertNil(try p.next())
        var fed = head.count
        var threw = false
        while fed < 5000 {
            p.append(Array("X".utf8))
            fed += 1
            do { _ = try p.next() } catch { threw = true; break }
        }
        XCTAssertTrue(threw)
        XCTAssertEqual(fed, 1000, "fails as soon as the limit is reached, not later")

        var q = RtspStreamParser()
        q.append([UInt8](repeating: UInt8(ascii: "a"), count: 10) + Array(" rtsp://h RTSP/1.0\r\nX: ".utf8) + [UInt8](repeating: 0x61, count: 20000))
        XCTAssertThrowsError(try q.next())
    }

    func testCompleteHeaderOverLimitIsRejected() {
        var p = RtspStreamParser(maxHeaderBytes: 100)
        p.append(Array(("OPTIONS rtsp://h RTSP/1.0\r\nX: " + String(repeating: "b", count: 100) + "\r\n\r\n").utf8))
        XCTAssertThrowsError(try p.next())
    }

    func testInterleavedLengthLimit() throws {
        var p = RtspStreamParser(maxInterleavedBytes: 1500)
        p.append([0x24, 0, 0x0F, 0xA0] + [UInt8](repeating: 0, count: 10))
        XCTAssertThrowsError(try p.next())

        var q = RtspStreamParser()
        q.append([0x24, 0, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 10))
        XCTAssertNil(try q.next(), "a 64 KiB frame is legal and simply incomplete")
        q.append([UInt8](repeating: 1, count: 65535 - 10))
        guard case .interleaved(0, let payload)? = try q.next() else { return XCTFail() }
        XCTAssertEqual(payload.count, 65535)

        var r = RtspStreamParser()
        r.append([0x24, 5])
        XCTAssertNil(try r.next())
        r.append([0])
        XCTAssertNil(try r.next())
        r.append([1, 0xAB])
        guard case .interleaved(5, let one)? = try r.next() else { return XCTFail() }
        XCTAssertEqual(Array(one), [0xAB])
    }

    func testPayloadSurvivesLaterAppends() throws {
        var p = RtspStreamParser()
        p.append([0x24, 0, 0, 3, 7, 8, 9, 0x24, 1])
        guard case .interleaved(0, let payload)? = try p.next() else { return XCTFail() }
        for _ in 0..<100 { p.append([UInt8](repeating: 0xEE, count: 1000)) }
        XCTAssertEqual(Array(payload), [7, 8, 9])
    }

    func testRandomGarbageNeverTrapsAndStaysBounded() {
        var rng = SplitMix64(seed: 0x5EED)
        let seeds: [[UInt8]] = [Array(RtspVectors.ffmpegPublishUdp.utf8.prefix(700)), mix,
                                Array(decodeBase64(RtspVectors.gstServerResponsesBase64).prefix(900))]
        var threw = 0, parsed = 0
        for round in 0..<4000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if round % 4 == 0, !input.isEmpty { input[0] = [0x24, 0x52, 0x4F][Int.random(in: 0...2, using: &rng)] }
            } else {
                input = seeds[round % seeds.count]
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    let i = Int.random(in: 0..<input.count, using: &rng)
                    switch Int.random(in: 0...3, using: &rng) {
                    case 0: input[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: input.removeSubrange(i..<min(input.count, i + Int.random(in: 1...40, using: &rng)))
                    case 2: input.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
                    default: input[i] = [0x24, 0x0D, 0x0A, 0x3A, 0x20][Int.random(in: 0...4, using: &rng)]
                    }
                    if input.isEmpty { break }
                }
            }
            var p = RtspStreamParser(maxHeaderBytes: 512, maxBodyBytes: 1024, maxInterleavedBytes: 2048)
            let chunk = Int.random(in: 1...64, using: &rng)
            var i = 0
            var failed = false
            while i < input.count, !failed {
                let end = min(input.count, i + chunk)
                p.append(input[i..<end])
                i = end
                var steps = 0
                do {
                    while try p.next() != nil { parsed += 1; steps += 1; XCTAssertLessThan(steps, 400) }
                } catch {
                    threw += 1
                    failed = true
                }
                XCTAssertLessThanOrEqual(p.bufferedByteCount, input.count)
            }
        }
        XCTAssertGreaterThan(threw, 1000)
        XCTAssertGreaterThan(parsed, 100)
    }

    func testInterleavedThroughputIsLinear() throws {
        // 8 MiB of 1400-byte RTP frames: enough to expose per-frame front removal of a large buffer.
        var frame: [UInt8] = [0x24, 0, 0x05, 0x78] + [UInt8](repeating: 0x80, count: 1400)
        var stream: [UInt8] = []
        stream.reserveCapacity(6000 * frame.count)
        for i in 0..<6000 {
            frame[1] = UInt8(i % 4)
            stream += frame
        }
        let start = Date()
        var p = RtspStreamParser()
        stream.withUnsafeBytes { p.append($0) }
        var count = 0, bytes = 0
        while case .interleaved(_, let payload)? = try p.next() { count += 1; bytes += payload.count }
        XCTAssertEqual(count, 6000)
        XCTAssertEqual(bytes, 6000 * 1400)

        var q = RtspStreamParser()
        count = 0
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 1448)
            stream[offset..<end].withUnsafeBytes { q.append($0) }
            offset = end
            while case .interleaved? = try q.next() { count += 1 }
        }
        XCTAssertEqual(count, 6000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3.0)
    }
}
