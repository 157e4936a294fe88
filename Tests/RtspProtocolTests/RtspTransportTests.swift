import XCTest
@testable import RtspProtocol

final class RtspTransportTests: XCTestCase {
    private func setupTransports(_ vector: String) throws -> [RtspTransport] {
        try messages(vector).filter { $0.method == "SETUP" }.map { m in
            let list = RtspTransport.parseList(try XCTUnwrap(m.header("Transport")))
            XCTAssertEqual(list.count, 1)
            return try XCTUnwrap(list.first)
        }
    }

    func testFfmpegRecordUdp() throws {
        let t = try setupTransports(RtspVectors.ffmpegPublishUdp)
        XCTAssertEqual(t.count, 2)
        XCTAssertEqual(t[0].profile, "RTP/AVP")
        XCTAssertEqual(t[0].lowerTransport, .udp)
        XCTAssertFalse(t[0].multicast)
        XCTAssertEqual(t[0].clientPort, RtspPair(8662, 8663))
        XCTAssertEqual(t[1].clientPort, RtspPair(8664, 8665))
        XCTAssertEqual(t[0].mode, "RECORD")
        XCTAssertTrue(t[0].isRecord)
        XCTAssertNil(t[0].interleaved)
    }

    func testFfmpegRecordTcp() throws {
        let setups = try parseAll(decodeBase64(RtspVectors.ffmpegPublishTcpBase64)).compactMap { f -> String? in
            guard case .message(.request("SETUP", _), let headers, _) = f else { return nil }
            return headers.first { $0.hasPrefix("Transport: ") }.map { String($0.dropFirst(11)) }
        }
        let t = try setupTransports(RtspVectors.ffprobePlayTcpDigest)
        XCTAssertEqual(setups, ["RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", "RTP/AVP/TCP;unicast;interleaved=2-3;mode=record"])
        let rec = try RtspTransport(parsing: setups[1])
        XCTAssertEqual(rec.lowerTransport, .tcp)
        XCTAssertEqual(rec.interleaved, RtspPair(2, 3))
        XCTAssertEqual(rec.mode, "RECORD")
        XCTAssertEqual(t.map(\.interleaved), [RtspPair(0, 1), RtspPair(2, 3)])
        XCTAssertEqual(t[0].mode, nil, "players send no mode: PLAY is implied")
        XCTAssertFalse(t[0].isRecord)
    }

    func testGstreamerUpperCaseMode() throws {
        let t = try setupTransports(RtspVectors.gstreamerPublishUdp)
        XCTAssertEqual(t.map(\.mode), ["RECORD", "RECORD"])
        XCTAssertEqual(t[0].clientPort, RtspPair(43552, 43553))
    }

    func testGstreamerServerReplies() throws {
        let udp = try RtspVectors.gstServerUdpTransports.map { try RtspTransport(parsing: $0) }
        XCTAssertEqual(udp[0].serverPort, RtspPair(51060, 51061))
        XCTAssertEqual(udp[0].ssrc, 0x6711B7AC)
        XCTAssertEqual(udp[1].ssrc, 0x0686F7A8)
        XCTAssertEqual(udp[0].mode, "PLAY")
        XCTAssertEqual(udp[0].format(), #"RTP/AVP;unicast;client_port=14416-14417;server_port=51060-51061;ssrc=6711B7AC;mode="PLAY""#)
        let tcp = try RtspTransport(parsing: #"RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=C9E2BDB5;mode="PLAY""#)
        XCTAssertEqual(tcp.ssrc, 0xC9E2BDB5)
        XCTAssertEqual(tcp.interleaved, RtspPair(0, 1))
    }

    func testFormatReply() {
        var t = RtspTransport(lowerTransport: .tcp, interleaved: RtspPair(2, 3), mode: "RECORD")
        XCTAssertEqual(t.format(), #"RTP/AVP/TCP;unicast;interleaved=2-3;mode="RECORD""#)
        t = RtspTransport(clientPort: RtspPair(5000, 5001), serverPort: RtspPair(6970, 6971), ssrc: 0x1234)
        XCTAssertEqual(t.format(), "RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=00001234")
        t = RtspTransport(multicast: true, port: RtspPair(5004, 5005), destination: "239.0.0.1", ttl: 16)
        XCTAssertEqual(t.format(), "RTP/AVP;multicast;destination=239.0.0.1;port=5004-5005;ttl=16")
        XCTAssertEqual(try RtspTransport(parsing: t.format()), t)
    }

    func testListWithAlternativesAndOddCase() throws {
        let list = RtspTransport.parseList(
            #"RAW/RAW/UDP;unicast, rtp/avp/tcp;Unicast;INTERLEAVED=4;Mode="play" , RTP/AVP;multicast;destination="224.2.0.1";port=3456-3457;ttl=127;append;layers=1;source=10.0.0.1"#)
        XCTAssertEqual(list.count, 2, "the RAW spec is skipped")
        XCTAssertEqual(list[0].lowerTransport, .tcp)
        XCTAssertEqual(list[0].interleaved, RtspPair(4))
        XCTAssertEqual(list[0].mode, "PLAY")
        XCTAssertTrue(list[1].multicast)
        XCTAssertEqual(list[1].destination, "224.2.0.1")
        XCTAssertEqual(list[1].source, "10.0.0.1")
        XCTAssertEqual(list[1].ttl, 127)
        XCTAssertTrue(list[1].append)
        XCTAssertEqual(list[1].otherParameters, ["layers=1"])
        XCTAssertEqual(RtspTransport.formatList(list),
                       #"RTP/AVP/TCP;unicast;interleaved=4;mode="PLAY",RTP/AVP;multicast;destination=224.2.0.1;source=10.0.0.1;port=3456-3457;ttl=127;append;layers=1"#)
    }

    func testBadSpecs() {
        for spec in ["", "RTP", "RTP/AVP/SCTP", "HTTP/1.1", "RTP/AVP;interleaved=256-257", "RTP/AVP;interleaved=1-0",
                     "RTP/AVP;client_port=70000-70001", "RTP/AVP;client_port=-1", "RTP/AVP;client_port=a-b", "RTP/AVP;ttl=300",
                     "RTP/AVP;ssrc=123456789", "RTP/AVP;ssrc=xyz", "RTP/AVP;mode=", "RTP/AVP;interleaved", "RTP/AVP;client_port= 1 - 2 3",
                     "RTP/AVP;interleaved=99999999999999999999", String(repeating: "RTP/AVP;", count: 1000)] {
            XCTAssertThrowsError(try RtspTransport(parsing: spec), spec.prefix(40).debugDescription)
        }
        XCTAssertEqual(RtspTransport.parseList("garbage, ,;;,"), [])
    }
}
