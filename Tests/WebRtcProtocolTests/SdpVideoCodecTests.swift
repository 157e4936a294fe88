import Foundation
import XCTest
@testable import WebRtcProtocol

/// Video codecs besides H.264 in answers: H.265 from an offer in Chromium 136+'s form (chromium156-h265-whep is
/// chromium156-whep with the H265 lines Chromium writes where it has an HEVC decoder, Main and Main 10 with
/// RTX; this machine's Chromium has none, so it offers none) and VP8.
final class SdpVideoCodecTests: XCTestCase {
    let fingerprint = SdpFingerprint(hashFunction: "sha-256", digest: Array(0..<32))

    func options(_ role: SdpAnswerOptions.Role, video: [SdpCodecPreference]) -> SdpAnswerOptions {
        var o = SdpAnswerOptions(role: role, credentials: IceCredentials(ufrag: "srvU", password: "serverpassword0123456789"),
                                 fingerprint: fingerprint, candidates: [TransportAddress(ip: IpAddress(v4: 127, 0, 0, 1), port: 8000)])
        o.sendSsrcs = ["video": (1111, 2222), "audio": (3333, 4444)]
        o.videoCodecs = video
        return o
    }

    func h265(profile: Int?) -> SdpCodecPreference { SdpCodecPreference(encoding: "H265", clockRate: 90_000, profileId: profile) }

    func testH265SourceGetsTheOfferedPayloadTypeOfItsProfile() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-h265-whep"))
        let main = try SdpAnswerBuilder.answer(offer, options: options(.send, video: [h265(profile: 1)]))
        let video = try XCTUnwrap(main.media.first { $0.kind == "video" })
        XCTAssertEqual(video.payloadType, 121)
        XCTAssertEqual(video.rtxPayloadType, 122)
        XCTAssertEqual(video.codec, SdpRtpMap(encoding: "H265", clockRate: 90_000))
        XCTAssertEqual(video.feedback, ["nack", "nack pli", "ccm fir"])
        // The answer repeats profile-id, level-id, tier-flag and tx-mode of the payload type it takes (RFC 7798 7.2.2).
        XCTAssertTrue(main.sdp.contains("a=rtpmap:121 H265/90000\r\na=fmtp:121 level-id=180;profile-id=1;tier-flag=0;tx-mode=SRST\r\n"), main.sdp)
        XCTAssertTrue(main.sdp.contains("m=video 8000 UDP/TLS/RTP/SAVPF 121 122\r\n"), main.sdp)
        XCTAssertTrue(main.sdp.contains("a=fmtp:122 apt=121"), main.sdp)

        let main10 = try SdpAnswerBuilder.answer(offer, options: options(.send, video: [h265(profile: 2)]))
        XCTAssertEqual(main10.media.first { $0.kind == "video" }?.payloadType, 123)
        // A profile the offer lacks (Range Extensions) still gets the first H265 payload type; no profile known, too.
        XCTAssertEqual(try SdpAnswerBuilder.answer(offer, options: options(.send, video: [h265(profile: 4)])).media.first { $0.kind == "video" }?.payloadType, 121)
        XCTAssertEqual(try SdpAnswerBuilder.answer(offer, options: options(.send, video: [h265(profile: nil)])).media.first { $0.kind == "video" }?.payloadType, 121)
    }

    func testH265SourceToAClientWithoutH265PlaysAudioOnlyWithANote() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whep"))
        var o = options(.send, video: [h265(profile: 1)])
        o.audioCodecs = [.opus]
        let answer = try SdpAnswerBuilder.answer(offer, options: o)
        XCTAssertEqual(answer.media.map(\.kind), ["audio"])
        XCTAssertEqual(answer.notes.count, 1)
        XCTAssertTrue(answer.notes[0].hasPrefix("video (mid 1): no codec in common"), answer.notes[0])
        XCTAssertTrue(answer.notes[0].hasSuffix("accepted H265)"), answer.notes[0])
        XCTAssertTrue(answer.sdp.contains("m=video 0 UDP/TLS/RTP/SAVPF "), answer.sdp)
        XCTAssertTrue(answer.sdp.contains("a=group:BUNDLE 0\r\n"), answer.sdp)
        // Without audio to fall back on, the offer has no usable codec at all.
        o.audioCodecs = []
        XCTAssertThrowsError(try SdpAnswerBuilder.answer(offer, options: o))
    }

    func testH265OnlyInMultiStreamModeIsRefused() throws {
        let text = try SdpFixture.load("chromium156-h265-whep").replacingOccurrences(of: "tx-mode=SRST", with: "tx-mode=MRST")
        var o = options(.send, video: [h265(profile: 1)])
        o.audioCodecs = [.opus]
        let answer = try SdpAnswerBuilder.answer(try SdpSession(parsing: text), options: o)
        XCTAssertEqual(answer.media.map(\.kind), ["audio"])
    }

    func testVp8BothWays() throws {
        let play = try SdpAnswerBuilder.answer(try SdpSession(parsing: try SdpFixture.load("chromium156-whep")), options: options(.send, video: [.vp8]))
        let video = try XCTUnwrap(play.media.first { $0.kind == "video" })
        XCTAssertEqual([video.payloadType, video.rtxPayloadType], [96, 97])
        XCTAssertTrue(play.sdp.contains("a=rtpmap:96 VP8/90000"), play.sdp)
        // A publisher offering VP8 and H.264 (aiortc's default order): the server takes H.264, which converts to
        // every protocol; offered VP8 alone, it takes VP8.
        let aiortc = try SdpFixture.load("aiortc116-whip")
        let both = try SdpAnswerBuilder.answer(try SdpSession(parsing: aiortc), options: options(.receive, video: [.h264, .h265, .vp8]))
        XCTAssertEqual(both.media.first { $0.kind == "video" }?.codec.encoding, "H264")
        let vp8Only = try SdpAnswerBuilder.answer(try SdpSession(parsing: aiortc), options: options(.receive, video: [.h265, .vp8]))
        XCTAssertEqual(vp8Only.media.first { $0.kind == "video" }?.codec.encoding, "VP8")
    }

    func testVp9PayloadTypeOfTheProfile() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whep"))
        func pt(_ pref: SdpCodecPreference) throws -> UInt8? {
            var o = options(.send, video: [pref])
            o.audioCodecs = [.opus]
            return try SdpAnswerBuilder.answer(offer, options: o).media.first { $0.kind == "video" }?.payloadType
        }
        XCTAssertEqual(try pt(.vp9), 98, "profile-id=0 by default")
        XCTAssertEqual(try pt(SdpCodecPreference(encoding: "VP9", clockRate: 90_000, profileId: 2)), 100)
        XCTAssertEqual(try pt(SdpCodecPreference(encoding: "VP9", clockRate: 90_000, profileId: 3)), 37)
        // A profile the client does not decode is not sent.
        XCTAssertNil(try pt(SdpCodecPreference(encoding: "VP9", clockRate: 90_000, profileId: 7)))
    }
}

extension SdpVideoCodecTests {
    /// Chromium 156 offers AV1 profile 0 (PT 45) and 1 (PT 47): a player gets the payload type of the source's
    /// seq_profile with Chromium's fmtp echoed; a publisher offering AV1 and H.264 is answered H.264, AV1 alone AV1.
    func testAv1BothWays() throws {
        let offer = try SdpSession(parsing: try SdpFixture.load("chromium156-whep"))
        func answer(_ pref: SdpCodecPreference) throws -> SdpAnswer {
            var o = options(.send, video: [pref])
            o.audioCodecs = [.opus]
            return try SdpAnswerBuilder.answer(offer, options: o)
        }
        let main = try answer(.av1)
        XCTAssertEqual(main.media.first { $0.kind == "video" }?.payloadType, 45)
        XCTAssertTrue(main.sdp.contains("a=rtpmap:45 AV1/90000"), main.sdp)
        XCTAssertTrue(main.sdp.contains("a=fmtp:45 level-idx=5;profile=0;tier=0"), main.sdp)
        XCTAssertEqual(try answer(SdpCodecPreference(encoding: "AV1", clockRate: 90_000, profileId: 1)).media.first { $0.kind == "video" }?.payloadType, 47)
        // Profile 2 (Professional) is not offered: audio only.
        XCTAssertEqual(try answer(SdpCodecPreference(encoding: "AV1", clockRate: 90_000, profileId: 2)).media.map(\.kind), ["audio"])

        let whip = try SdpFixture.load("chromium156-whip")
        let both = try SdpAnswerBuilder.answer(try SdpSession(parsing: whip), options: options(.receive, video: [.h264, .h265, .vp9, .av1, .vp8]))
        XCTAssertEqual(both.media.first { $0.kind == "video" }?.codec.encoding, "H264")
        let av1Only = try SdpAnswerBuilder.answer(try SdpSession(parsing: whip), options: options(.receive, video: [.av1, .vp8]))
        XCTAssertEqual(av1Only.media.first { $0.kind == "video" }?.codec.encoding, "AV1")
    }
}
