import Foundation
import TestSupport
import XCTest
@testable import WebRtcProtocol

/// Offers captured from real clients (Tests/WebRtcProtocolTests/Fixtures): Chromium 156 (headless, createOffer
/// with recvonly/sendonly transceivers and a 3-layer simulcast sender), aiortc 1.16 and FFmpeg 8.1's WHIP muxer
/// (PyAV 18.1; it offers a=setup:passive).
enum SdpFixture {
    static func load(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).sdp")
        return try String(contentsOf: url, encoding: .utf8)
    }
}

final class SdpTests: XCTestCase {
    let fingerprint = SdpFingerprint(hashFunction: "sha-256", digest: Array(0..<32))
    let server = TransportAddress(ip: IpAddress(v4: 127, 0, 0, 1), port: 8000)

    func options(_ role: SdpAnswerOptions.Role) -> SdpAnswerOptions {
        var o = SdpAnswerOptions(role: role, credentials: IceCredentials(ufrag: "srvU", password: "serverpassword0123456789"),
                                 fingerprint: fingerprint, candidates: [server])
        o.sendSsrcs = ["video": (1111, 2222), "audio": (3333, 4444)]
        return o
    }

    func testChromiumWhepOfferParses() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whep"))
        XCTAssertEqual(offer.bundleMids, ["0", "1"])
        XCTAssertEqual(offer.media.map(\.kind), ["audio", "video"])
        let video = offer.media[1]
        XCTAssertEqual(video.mid, "1")
        XCTAssertEqual(video.direction, .recvonly)
        XCTAssertTrue(video.rtcpMux)
        XCTAssertEqual(video.setup, .actpass)
        XCTAssertEqual(video.fingerprints.first?.digest.count, 32)
        XCTAssertEqual(video.rtpMaps[108], SdpRtpMap(encoding: "H264", clockRate: 90_000))
        XCTAssertEqual(video.formatParameters[108], "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
        XCTAssertTrue(video.feedback(for: 108).contains("nack pli"))
        XCTAssertEqual(SdpCodecSelection.rtx(video, for: 108), 109)
        XCTAssertTrue(video.extmaps.contains { $0.uri == "urn:ietf:params:rtp-hdrext:sdes:mid" })
        XCTAssertNotNil(offer.iceUfrag(of: video))
    }

    func testWhepAnswerToChromiumPicksProfileOfTheSource() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whep"))
        var o = options(.send)
        o.videoCodecs = [SdpCodecPreference(encoding: "H264", clockRate: 90_000, h264Profile: .main)]
        o.audioCodecs = [.opus]
        let answer = try SdpAnswerBuilder.answer(offer, options: o)
        let video = try XCTUnwrap(answer.media.first { $0.kind == "video" })
        XCTAssertEqual(video.payloadType, 116)   // 4d001f packetization-mode=1
        XCTAssertEqual(video.rtxPayloadType, 117)
        XCTAssertEqual(video.direction, .sendonly)
        XCTAssertEqual(video.feedback, ["nack", "nack pli", "ccm fir"])
        XCTAssertEqual(video.localSsrc, 1111)
        XCTAssertEqual(answer.media.first { $0.kind == "audio" }?.payloadType, 111)
        XCTAssertFalse(answer.dtlsClient)
        // The answer is itself valid SDP with the server's transport.
        let parsed = try SdpSession(parsing: answer.sdp)
        XCTAssertTrue(parsed.iceLite)
        XCTAssertEqual(parsed.bundleMids, ["0", "1"])
        XCTAssertEqual(parsed.media[1].setup, .passive)
        XCTAssertEqual(parsed.media[1].iceUfrag, "srvU")
        XCTAssertEqual(parsed.media[1].fingerprints, [fingerprint])
        XCTAssertEqual(parsed.media[1].candidates, ["1 1 udp 2130706431 127.0.0.1 8000 typ host"])
        XCTAssertEqual(parsed.media[1].ssrcGroups, [SdpSsrcGroup(semantics: "FID", ssrcs: [1111, 2222])])
        XCTAssertEqual(parsed.media[1].payloadTypes, [116, 117])
        XCTAssertEqual(parsed.media[1].direction, .sendonly)
    }

    func testConstrainedBaselinePreferredWithoutASourceProfile() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whip"))
        let answer = try SdpAnswerBuilder.answer(offer, options: options(.receive))
        let video = try XCTUnwrap(answer.media.first { $0.kind == "video" })
        XCTAssertEqual(H264ProfileLevelId.parse(fmtp: video.formatParameters).profile.profile, .constrainedBaseline)
        XCTAssertEqual(video.direction, .recvonly)
        XCTAssertEqual(video.remoteSsrcs.count, 1)
        XCTAssertEqual(video.remoteRtxSsrcs.count, 1)
        XCTAssertNil(video.localSsrc)
    }

    func testAacSourcePlaysVideoOnlyWithANote() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whep"))
        var o = options(.send)
        o.audioCodecs = []
        let answer = try SdpAnswerBuilder.answer(offer, options: o)
        XCTAssertEqual(answer.media.map(\.kind), ["video"])
        XCTAssertEqual(answer.notes.count, 1)
        XCTAssertTrue(answer.notes[0].hasPrefix("audio (mid 0): no codec in common"))
        XCTAssertTrue(answer.sdp.contains("m=audio 0 UDP/TLS/RTP/SAVPF 111"))
        XCTAssertTrue(answer.sdp.contains("a=group:BUNDLE 1\r\n"))
        // aiortc refuses an answer whose sections lack ICE credentials, a DTLS role or rtcp-mux, refused ones included.
        let audio = answer.sdp.components(separatedBy: "m=audio 0 ")[1].components(separatedBy: "m=")[0]
        for attribute in ["a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:sha-256 ", "a=setup:passive", "a=rtcp-mux", "a=inactive"] {
            XCTAssertTrue(audio.contains(attribute), attribute + " in " + audio)
        }
    }

    func testFfmpegWhipOfferMakesTheServerTheDtlsClient() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("ffmpeg8-whip"))
        XCTAssertEqual(offer.media[1].sendSsrcs.first?.rtx, 3_737_002_514)
        let answer = try SdpAnswerBuilder.answer(offer, options: options(.receive))
        XCTAssertTrue(answer.dtlsClient)
        XCTAssertTrue(answer.sdp.contains("a=setup:active"))
        XCTAssertEqual(answer.media.map(\.payloadType), [111, 106])
        XCTAssertEqual(answer.media[1].rtxPayloadType, 105)
        XCTAssertEqual(answer.media[1].feedback, ["nack"])
        XCTAssertEqual(answer.remoteCredentials.ufrag, "0ac594c4")
    }

    func testAiortcAndSimulcastOffersAreAnswered() throws {
        for (name, role) in [("aiortc116-whep", SdpAnswerOptions.Role.send), ("aiortc116-whip", .receive), ("chromium156-simulcast", .receive)] {
            let offer = try SdpSession(parsing: try SdpFixture.load(name))
            let answer = try SdpAnswerBuilder.answer(offer, options: options(role))
            XCTAssertTrue(answer.media.contains { $0.codec.encoding == "H264" }, name)
            XCTAssertNoThrow(try SdpSession(parsing: answer.sdp), name)
        }
        let simulcast = try SdpSession(parsing: try SdpFixture.load("chromium156-simulcast"))
        XCTAssertEqual(simulcast.media[0].rids.map(\.id), ["h", "m", "l"])
        XCTAssertNotNil(simulcast.media[0].simulcast)
        // Without a=simulcast in the answer the browser sends one layer (RFC 8853 5.3).
        XCTAssertFalse(try SdpAnswerBuilder.answer(simulcast, options: options(.receive)).sdp.contains("simulcast"))
    }

    func testAbsurdAndUnusableOffersAreRefusedClearly() throws {
        let head = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\r\n"
        let m = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
        XCTAssertThrowsError(try SdpSession(parsing: head + String(repeating: "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", count: 1_000))) {
            XCTAssertEqual(($0 as? SdpError)?.description, "SDP has 1000 media sections, at most 16 are accepted")
        }
        XCTAssertThrowsError(try SdpSession(parsing: head + String(repeating: "a=x\r\n", count: 3_000))) {
            XCTAssertEqual($0 as? SdpError, .tooManyLines(limit: 2_000))
        }
        XCTAssertThrowsError(try SdpSession(parsing: head + String(repeating: "a=" + String(repeating: "y", count: 4_000) + "\r\n", count: 20))) {
            XCTAssertEqual(($0 as? SdpError)?.description, "SDP of 80177 bytes exceeds the limit of 65536")
        }
        XCTAssertThrowsError(try SdpSession(parsing: head + "a=x:" + String(repeating: "y", count: 10_000) + "\r\n" + m)) {
            XCTAssertEqual($0 as? SdpError, .lineTooLong(line: 7, limit: 4_096))
        }
        XCTAssertThrowsError(try SdpSession(parsing: "o=x\r\n")) { XCTAssertEqual($0 as? SdpError, .missing("v=0 as its first line")) }
        XCTAssertThrowsError(try SdpSession(parsing: head + "m=video 99999 X 96\r\n")) {
            XCTAssertEqual($0 as? SdpError, .malformedLine(line: 7, text: "m=video 99999 X 96"))
        }
        XCTAssertThrowsError(try SdpSession(parsing: head + m + "a=rtpmap:300 x/1\r\n"))
        // VP8 only: no codec in common, the error names both sides.
        let vp8 = try SdpSession(parsing: head + "a=fingerprint:sha-256 " + Array(repeating: "AB", count: 32).joined(separator: ":") + "\r\n" + m + "a=rtcp-mux\r\n")
        XCTAssertThrowsError(try SdpAnswerBuilder.answer(vp8, options: options(.receive))) {
            XCTAssertEqual(($0 as? SdpError)?.description,
                           "SDP offer cannot be answered: no usable codec: video (mid 0): no codec in common (offered VP8; accepted H264,H265)")
        }
        let noFingerprint = try SdpSession(parsing: head + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtcp-mux\r\n")
        XCTAssertThrowsError(try SdpAnswerBuilder.answer(noFingerprint, options: options(.receive))) {
            XCTAssertEqual($0 as? SdpError, .missing("a=fingerprint"))
        }
    }

    /// Found by FuzzWebRtcSdp: a one-section offer with `a=mid:a b` was answered with `a=group:BUNDLE a b`,
    /// which names two mids the offer does not have. A mid is a token (RFC 5888 4): such an offer is malformed.
    func testMidThatIsNotATokenIsRefused() throws {
        let offer = try SdpFixture.load("ffmpeg8-whip")
        let audioOnly = offer.components(separatedBy: "m=video")[0].replacingOccurrences(of: "a=group:BUNDLE 0 1\r\n", with: "")
        XCTAssertNoThrow(try SdpSession(parsing: audioOnly))
        XCTAssertThrowsError(try SdpSession(parsing: audioOnly.replacingOccurrences(of: "a=mid:0", with: "a=mid:a b"))) {
            XCTAssertEqual($0 as? SdpError, .malformedLine(line: 13, text: "a=mid:a b"))
        }
        XCTAssertThrowsError(try SdpSession(parsing: audioOnly.replacingOccurrences(of: "a=mid:0", with: "a=mid:\u{e9}")))
        let firefox = try SdpSession(parsing: audioOnly.replacingOccurrences(of: "a=mid:0", with: "a=mid:{5a1c-9b}"))
        XCTAssertEqual(firefox.media[0].mid, "{5a1c-9b}")
        let answer = try SdpAnswerBuilder.answer(firefox, options: options(.receive))
        XCTAssertEqual(try SdpSession(parsing: answer.sdp).bundleMids, ["{5a1c-9b}"])
    }

    func testH264ProfileClassification() {
        XCTAssertEqual(H264ProfileLevelId("42e01f")?.profile, .constrainedBaseline)
        XCTAssertEqual(H264ProfileLevelId("42001f")?.profile, .baseline)
        XCTAssertEqual(H264ProfileLevelId("4d001f")?.profile, .main)
        XCTAssertEqual(H264ProfileLevelId("640c1f")?.profile, .constrainedHigh)
        XCTAssertEqual(H264ProfileLevelId("640032")?.profile, .high)
        XCTAssertEqual(H264ProfileLevelId("f4001f")?.profile, .other)
        XCTAssertNil(H264ProfileLevelId("42e01"))
        XCTAssertEqual(SdpDirection.sendonly.answer(send: true, receive: false), .inactive)
    }

    func testSeededGarbageOffersNeverCrash() throws {
        let base = Array(try SdpFixture.load("chromium156-whep").utf8)
        var rng = SplitMix64(seed: 0x5D9)
        var parsed = 0
        for _ in 0..<2_000 {
            var bytes = base
            for _ in 0..<Int(1 + rng.next() % 8) {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] = [UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "="), UInt8(ascii: "/"), 0xFF,
                            UInt8.random(in: 0...255, using: &rng)][Int(rng.next() % 7)]
            }
            if let offer = try? SdpSession(parsing: String(decoding: bytes, as: UTF8.self)) {
                parsed += 1
                _ = try? SdpAnswerBuilder.answer(offer, options: options(rng.next() & 1 == 0 ? .send : .receive))
            }
        }
        XCTAssertGreaterThan(parsed, 0)
        XCTAssertLessThan(parsed, 2_000)
    }
}
