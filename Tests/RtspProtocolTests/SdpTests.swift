import MediaFormats
import TestSupport
import XCTest
@testable import RtspProtocol

final class SdpTests: XCTestCase {
    private func announceSDP(_ vector: String) throws -> SessionDescription {
        let announce = try XCTUnwrap(try messages(vector).first { $0.method == "ANNOUNCE" })
        return try SessionDescription(parsing: announce.body)
    }

    func testFfmpegH264AacUdp() throws {
        let sdp = try announceSDP(RtspVectors.ffmpegPublishUdp)
        XCTAssertEqual(sdp.sessionName, "No Name")
        XCTAssertNil(sdp.sessionControl)
        XCTAssertEqual(sdp.tracks.count, 2)
        let v = sdp.tracks[0], a = sdp.tracks[1]
        XCTAssertEqual(v.codec, .h264)
        XCTAssertEqual(v.mediaType, "video")
        XCTAssertEqual(v.payloadType, 96)
        XCTAssertEqual(v.clockRate, 90000)
        XCTAssertEqual(v.channels, 0)
        XCTAssertEqual(v.control, "streamid=0")
        XCTAssertEqual(v.config, hex("01f4000dffe1001867f4000d91968141fb011000000300100000030320f142aa01000568ce0f1920"))
        XCTAssertEqual(v.fmtp["profile-level-id"], "F4000D")
        XCTAssertEqual(v.fmtp["packetization-mode"], "1")
        XCTAssertEqual(a.codec, .aac)
        XCTAssertEqual(a.encodingName, "MPEG4-GENERIC")
        XCTAssertEqual(a.payloadType, 97)
        XCTAssertEqual(a.clockRate, 44100)
        XCTAssertEqual(a.channels, 1)
        XCTAssertEqual(a.control, "streamid=1")
        XCTAssertEqual(a.config, hex("120856e500"))
        XCTAssertNil(a.latmConfig)
        XCTAssertEqual(a.fmtp["sizelength"], "13")
        XCTAssertEqual(a.fmtp["config"], "120856E500")
    }

    func testFfmpegTcpSdpGivesUsableExtradata() throws {
        let announce = try XCTUnwrap(try parseAll(decodeBase64(RtspVectors.ffmpegPublishTcpBase64)).compactMap { f -> [UInt8]? in
            if case .message(.request("ANNOUNCE", _), _, let body) = f { return body }
            return nil
        }.first)
        let sdp = try SessionDescription(parsing: announce)
        XCTAssertEqual(sdp.tracks[0].config, hex("0142c00dffe100166742c00dda0507ec0440000003004000000c83c50aa801000468ce0fc8"))
        let avc = try XCTUnwrap(AVCDecoderConfig(sdp.tracks[0].config[...]))
        XCTAssertEqual(avc.parsedSPS?.width, 320)
        XCTAssertEqual(avc.parsedSPS?.height, 240)
        let asc = try XCTUnwrap(AudioSpecificConfig(sdp.tracks[1].config[...]))
        XCTAssertEqual(asc.sampleRate, 48000)
        XCTAssertEqual(asc.channels, 2)
        XCTAssertEqual(sdp.tracks[1].channels, 2)
    }

    func testFfmpegH265Opus() throws {
        let sdp = try announceSDP(RtspVectors.ffmpegPublishH265Opus)
        let v = sdp.tracks[0], a = sdp.tracks[1]
        XCTAssertEqual(v.codec, .h265)
        XCTAssertEqual(v.config, hex("0101600000009000000000003cf000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003003c959409"
            + "a10001002a42010101600000030090000003000003003ca00a080f16595952930bc05a020000030002000003003210a2000100064401c073c189"))
        XCTAssertEqual(HEVCDecoderConfig(v.config[...])?.dimensions?.width, 320)
        XCTAssertEqual(a.codec, .opus)
        XCTAssertEqual(a.encodingName, "OPUS")
        XCTAssertEqual(a.clockRate, 48000)
        XCTAssertEqual(a.channels, 2)
        XCTAssertEqual(a.fmtp["sprop-stereo"], "1")
        XCTAssertEqual(a.config, [])
    }

    func testStaticPayloadTypesWithoutRtpmap() throws {
        let pcma = try announceSDP(RtspVectors.ffmpegPublishPcmaDigest).tracks
        XCTAssertEqual(pcma, [SdpTrack(codec: .pcma, mediaType: "audio", payloadType: 8, clockRate: 8000, channels: 1,
                                       control: "streamid=0", encodingName: "PCMA")])
        let pcmu = try announceSDP(RtspVectors.ffmpegPublishPcmu).tracks
        XCTAssertEqual(pcmu.first?.codec, .pcmu)
        XCTAssertEqual(pcmu.first?.payloadType, 0)
        XCTAssertEqual(pcmu.first?.clockRate, 8000)
    }

    func testGstreamerLatmVideoFirst() throws {
        let sdp = try announceSDP(RtspVectors.gstreamerPublishUdp)
        XCTAssertEqual(sdp.tracks.map(\.codec), [.h264, .aac])
        XCTAssertEqual(sdp.tracks[0].control, "stream=1")
        XCTAssertEqual(sdp.tracks[0].config,
                       hex("01f4000dffe1001d67f4000d90d9640507ec05a8303032000003000200000300791e28549001000668ebcc448440"))
        XCTAssertEqual(sdp.tracks[0].fmtp["level-asymmetry-allowed"], "1")
        let latm = sdp.tracks[1]
        XCTAssertEqual(latm.encodingName, "MP4A-LATM")
        XCTAssertEqual(latm.payloadType, 99)
        XCTAssertEqual(latm.clockRate, 44100)
        XCTAssertEqual(latm.channels, 1)
        XCTAssertEqual(latm.latmConfig, hex("40002410adca00"))
        XCTAssertEqual(latm.config, [], "the RTP layer derives the AudioSpecificConfig from the StreamMuxConfig")
        XCTAssertEqual(latm.control, "stream=0")
    }

    func testGstreamerAudioBeforeVideo() throws {
        let all = try parseAll(decodeBase64(RtspVectors.gstreamerPublishTcpBase64))
        guard case .message(.request("ANNOUNCE", _), _, let body) = all[1] else { return XCTFail("\(all[1])") }
        let sdp = try SessionDescription(parsing: body)
        XCTAssertEqual(sdp.tracks.map(\.mediaType), ["audio", "video"])
        XCTAssertEqual(sdp.tracks.map(\.codec), [.aac, .h264])
        XCTAssertEqual(sdp.tracks.map(\.control), ["stream=1", "stream=0"])
        XCTAssertEqual(sdp.tracks.map(\.payloadType), [96, 99])
    }

    func testGstreamerServerDescribe() throws {
        let body = try XCTUnwrap(try parseAll(decodeBase64(RtspVectors.gstServerResponsesBase64)).compactMap { f -> [UInt8]? in
            if case .message(_, _, let b) = f, !b.isEmpty { return b }
            return nil
        }.first)
        let sdp = try SessionDescription(parsing: body)
        XCTAssertEqual(sdp.sessionControl, "*")
        XCTAssertEqual(sdp.range, "npt=now-")
        XCTAssertEqual(sdp.tracks.map(\.codec), [.h264, .aac])
        XCTAssertEqual(sdp.tracks[1].config, hex("120856e500"))
        XCTAssertEqual(sdp.tracks[1].fmtp["profile-level-id"], "2")
        XCTAssertEqual(RtspURL.resolve(control: sdp.tracks[0].control ?? "", base: "rtsp://127.0.0.1:18575/live/cam/"),
                       "rtsp://127.0.0.1:18575/live/cam/stream=0")
    }

    func testUnsupportedTracksAreKeptForTheCount() throws {
        let text = """
            v=0\r
            o=- 1 1 IN IP4 10.0.0.1\r
            s=Camera\r
            m=video 0 RTP/AVP 26\r
            a=control:track1\r
            m=application 0 RTP/AVP 107\r
            a=rtpmap:107 vnd.onvif.metadata/90000\r
            m=audio 0 RTP/AVP 97\r
            a=rtpmap:97 MPEG4-GENERIC/16000/1\r
            a=fmtp:97 streamtype=5;mode=CELP-cbr;config=1408\r
            m=audio 0 RTP/AVP 98\r
            a=rtpmap:98 H264/90000\r
            m=video 0 RTP/AVP 99\r
            m=application 9 TCP/BFCP *\r
            m=audio 0 RTP/AVP 96\r
            a=rtpmap:96 mpeg4-generic/48000/2\r
            a=fmtp:96 Mode=aac-hbr; SizeLength=13; config=1190\r

            """
        let tracks = try SessionDescription(parsing: text).tracks
        XCTAssertEqual(tracks.count, 7)
        XCTAssertEqual(tracks.map(\.codec), [nil, nil, nil, nil, nil, nil, .aac])
        XCTAssertEqual(tracks[0].control, "track1")
        XCTAssertEqual(tracks[1].encodingName, "VND.ONVIF.METADATA")
        XCTAssertEqual(tracks[5].proto, "TCP/BFCP")
        XCTAssertEqual(tracks[6].fmtp["sizelength"], "13")
        XCTAssertEqual(tracks[6].config, [0x11, 0x90])
    }

    func testManyTracksAndBareLF() throws {
        var text = "v=0\ns=x\n"
        for i in 0..<20 {
            text += i % 2 == 0 ? "m=audio 0 RTP/AVP 8\na=control:trackID=\(i)\n" : "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
        }
        let tracks = try SessionDescription(parsing: text).tracks
        XCTAssertEqual(tracks.count, 20)
        XCTAssertEqual(tracks.filter { $0.codec == .pcma }.count, 10)
        XCTAssertEqual(tracks[18].control, "trackID=18")
        XCTAssertEqual(tracks[1].config, [], "no sprop-parameter-sets: parameter sets come in-band")
    }

    func testLenientParameterSets() throws {
        let unpadded = try SessionDescription(parsing: """
            m=video 0 RTP/AVP 96
            a=rtpmap:96 H264/90000
            a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LADdoFB+wEQAAAAwBAAAAMg8UKqA,aM4PyA
            """)
        XCTAssertEqual(unpadded.tracks[0].config, hex("0142c00dffe100166742c00dda0507ec0440000003004000000c83c50aa801000468ce0fc8"))
        let broken = try SessionDescription(parsing: "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 sprop-parameter-sets=!!!,aM4PyA==\n")
        XCTAssertEqual(broken.tracks[0].codec, .h264)
        XCTAssertEqual(broken.tracks[0].config, [])
        let ppsOnly = try SessionDescription(parsing: "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 sprop-parameter-sets=aM4PyA==\n")
        XCTAssertEqual(ppsOnly.tracks[0].config, [])
        let badAsc = try SessionDescription(parsing: "m=audio 0 RTP/AVP 96\na=rtpmap:96 MPEG4-GENERIC/48000/2\na=fmtp:96 mode=AAC-hbr;config=zz\n")
        XCTAssertEqual(badAsc.tracks[0].codec, .aac)
        XCTAssertEqual(badAsc.tracks[0].config, [])
        let inband = try SessionDescription(parsing: "m=audio 0 RTP/AVP 96\na=rtpmap:96 MP4A-LATM/44100/2\na=fmtp:96 cpresent=1\n")
        XCTAssertNil(inband.tracks[0].latmConfig)
    }

    func testAbsurdValuesAreRejected() {
        let bad = [
            "m=video 0 RTP/AVP 128\n",
            "m=video 0 RTP/AVP 96 300\n",
            "m=video 0 RTP/AVP -1\n",
            "m=video 70000 RTP/AVP 96\n",
            "m=video abc RTP/AVP 96\n",
            "m=video 0/x RTP/AVP 96\n",
            "m=video 0 RTP/AVP\n",
            "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/0\n",
            "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/300000\n",
            "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/99999999999999999999\n",
            "m=audio 0 RTP/AVP 96\na=rtpmap:96 opus/48000/9\n",
            "m=audio 0 RTP/AVP 96\na=rtpmap:96 opus/48000/0\n",
            "m=audio 0 RTP/AVP 96\na=rtpmap:96 opus/48000/2/1\n",
            "m=audio 0 RTP/AVP 96\na=rtpmap:96 /48000\n",
            "v=0\ns=no media\n",
            "",
            String(repeating: "a=x\n", count: 3000) + "m=audio 0 RTP/AVP 8\n",
            String(repeating: "m=audio 0 RTP/AVP 8\n", count: 65),
            "m=audio 0 RTP/AVP 8\n" + String(repeating: "x", count: 70000),
            "m=audio 0 RTP/AVP 96\na=fmtp:96 " + (0..<70).map { "k\($0)=1" }.joined(separator: ";") + "\n",
        ]
        for text in bad {
            XCTAssertThrowsError(try SessionDescription(parsing: text), String(text.prefix(60)).debugDescription)
        }
        XCTAssertThrowsError(try SessionDescription(parsing: [UInt8](repeating: 0x6D, count: 70000)))
    }

    func testFuzzNeverTraps() {
        var rng = SplitMix64(seed: 0xD5)
        let seeds = [RtspVectors.playSDP, "m=audio 0 RTP/AVP 96\na=rtpmap:96 MP4A-LATM/44100\na=fmtp:96 cpresent=0;config=40002410adca00\n",
                     "m=video 0 RTP/AVP 96\na=rtpmap:96 H265/90000\na=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA8lZQJ; "
                     + "sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZZWVKTC8BaAgAAAwACAAADADIQ; sprop-pps=RAHAc8GJ\n"].map { Array($0.utf8) }
        let alphabet = Array("=:;/, \r\n0123456789amvcsto".utf8)
        var accepted = 0
        for round in 0..<3000 {
            var input: [UInt8]
            if round % 3 == 0 {
                input = (0..<Int.random(in: 0...400, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                input = seeds[round % seeds.count]
                for _ in 0..<Int.random(in: 1...8, using: &rng) where !input.isEmpty {
                    let i = Int.random(in: 0..<input.count, using: &rng)
                    if Bool.random(using: &rng) {
                        input[i] = alphabet.randomElement(using: &rng)!
                    } else {
                        input[i] = UInt8.random(in: 0...255, using: &rng)
                    }
                }
            }
            if let sdp = try? SessionDescription(parsing: input) {
                accepted += 1
                XCTAssertLessThanOrEqual(sdp.tracks.count, 64)
                for t in sdp.tracks {
                    XCTAssertLessThanOrEqual(t.payloadType, 127)
                    XCTAssertLessThanOrEqual(t.clockRate, 200_000)
                    XCTAssertLessThanOrEqual(t.channels, 8)
                }
            }
        }
        XCTAssertGreaterThan(accepted, 100)
    }
}
