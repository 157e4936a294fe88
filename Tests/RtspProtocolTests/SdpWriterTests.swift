import MediaFormats
import XCTest
@testable import RtspProtocol

final class SdpWriterTests: XCTestCase {
    private let avcC = hex("0142c00dffe100166742c00dda0507ec0440000003004000000c83c50aa801000468ce0fc8")
    private let hvcC = hex("0101600000009000000000003cf000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003003c959409"
        + "a10001002a42010101600000030090000003000003003ca00a080f16595952930bc05a020000030002000003003210a2000100064401c073c189")

    func testH264AacDescription() throws {
        let text = SdpWriter.playDescription(tracks: [
            SdpTrack(codec: .h264, payloadType: 96, clockRate: 90000, config: avcC),
            SdpTrack(codec: .aac, payloadType: 97, clockRate: 48000, channels: 2, config: [0x11, 0x90]),
        ])
        XCTAssertEqual(text, """
            v=0\r
            o=- 0 1 IN IP4 127.0.0.1\r
            s=MediaRouter\r
            c=IN IP4 0.0.0.0\r
            t=0 0\r
            a=control:*\r
            a=range:npt=now-\r
            m=video 0 RTP/AVP 96\r
            a=rtpmap:96 H264/90000\r
            a=fmtp:96 packetization-mode=1;profile-level-id=42C00D;sprop-parameter-sets=Z0LADdoFB+wEQAAAAwBAAAAMg8UKqA==,aM4PyA==\r
            a=control:trackID=0\r
            m=audio 0 RTP/AVP 97\r
            a=rtpmap:97 MPEG4-GENERIC/48000/2\r
            a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190\r
            a=control:trackID=1\r

            """)
        let back = try SessionDescription(parsing: text)
        XCTAssertEqual(back.sessionControl, "*")
        XCTAssertEqual(back.range, "npt=now-")
        XCTAssertEqual(back.tracks.map(\.codec), [.h264, .aac])
        XCTAssertEqual(back.tracks[0].config, avcC)
        XCTAssertEqual(back.tracks[1].config, [0x11, 0x90])
        XCTAssertEqual(back.tracks[1].channels, 2)
        XCTAssertEqual(back.tracks.map(\.control), ["trackID=0", "trackID=1"])
    }

    func testH265OpusG711RoundTrip() throws {
        let input = [
            SdpTrack(codec: .h265, payloadType: 96, clockRate: 90000, config: hvcC),
            SdpTrack(codec: .opus, payloadType: 97, clockRate: 48000, channels: 2),
            SdpTrack(codec: .pcma, payloadType: 8, clockRate: 8000, channels: 1),
            SdpTrack(codec: .pcmu, payloadType: 0, clockRate: 8000, channels: 2),
        ]
        let text = SdpWriter.playDescription(tracks: input, sessionName: "cam\r\ninjected", sessionId: 42)
        XCTAssertTrue(text.contains("s=cam  injected\r\n"))
        XCTAssertTrue(text.contains("o=- 42 1 IN IP4 127.0.0.1\r\n"))
        XCTAssertTrue(text.contains("a=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA8lZQJ;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA8oAoIDxZZWVKTC8BaAgAAAwACAAADADIQ;sprop-pps=RAHAc8GJ\r\n"))
        XCTAssertTrue(text.contains("a=rtpmap:97 opus/48000/2\r\na=fmtp:97 sprop-stereo=1\r\n"))
        XCTAssertTrue(text.contains("a=rtpmap:8 PCMA/8000\r\n"))
        XCTAssertTrue(text.contains("a=rtpmap:0 PCMU/8000/2\r\n"))
        let back = try SessionDescription(parsing: text).tracks
        XCTAssertEqual(back.map(\.codec), [.h265, .opus, .pcma, .pcmu])
        XCTAssertEqual(back[0].config, hvcC)
        XCTAssertEqual(back.map(\.payloadType), [96, 97, 8, 0])
        XCTAssertEqual(back.map(\.channels), [0, 2, 1, 2])
    }

    func testSkipsUndescribableTracksButKeepsIndices() throws {
        let text = SdpWriter.playDescription(tracks: [
            SdpTrack(codec: .vp9, payloadType: 96, clockRate: 90000),
            SdpTrack(codec: nil, mediaType: "application", payloadType: 107, clockRate: 90000),
            SdpTrack(codec: .aac, payloadType: 97, clockRate: 44100, channels: 1),
        ], range: nil)
        XCTAssertFalse(text.contains("a=range"))
        let back = try SessionDescription(parsing: text).tracks
        XCTAssertEqual(back.count, 1)
        XCTAssertEqual(back[0].control, "trackID=2")
        XCTAssertEqual(back[0].config, AudioSpecificConfig(objectType: 2, sampleRate: 44100, channels: 1)?.bytes,
                       "an AAC track without config gets an LC config from its rate and channels")
    }

    func testH264WithoutConfigStillAnnounced() throws {
        let text = SdpWriter.playDescription(tracks: [SdpTrack(codec: .h264, payloadType: 96, clockRate: 90000, control: "video")])
        XCTAssertTrue(text.contains("a=fmtp:96 packetization-mode=1\r\na=control:video\r\n"))
    }
}
