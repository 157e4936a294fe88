import MediaFormats
import PluginABI
import PluginHarness
import RtmpProtocol
import XCTest

/// The RTMP plugin's sessions driven in-process: a publisher's handshake, commands and media reach the bus,
/// a player gets them back, and the handshake timeout runs on the virtual clock.
final class RtmpPluginTests: XCTestCase {
    /// avcC of a 176x144 Baseline stream (the MP4 tests' vector), and its AAC LC 44.1 kHz stereo companion.
    static let avcC: [UInt8] = hex("0142c00dffe100186742c00dd90141fb011000000300100000030320f142a48001000568cb83cb20")
    static let asc: [UInt8] = [0x12, 0x10]
    static let idr: [UInt8] = [0, 0, 0, 6, 0x65, 0x88, 0x84, 0x00, 0x33, 0xFF]
    static let inter: [UInt8] = [0, 0, 0, 4, 0x41, 0x9A, 0x02, 0x04]

    private var harness: PluginHarness?

    override func tearDown() {
        harness?.shutdown()
        harness = nil
    }

    private func start() throws -> PluginHarness {
        let h = try PluginHarness(plugin: "rtmp", config: "port = 0")
        harness = h
        return h
    }

    /// FLV video tag bodies (E.4.3): frame type and codec id 7, AVC packet type, composition time.
    static func video(key: Bool, config: Bool = false, cts: Int = 0, _ data: [UInt8]) -> [UInt8] {
        [key ? 0x17 : 0x27, config ? 0 : 1, UInt8(cts >> 16 & 0xFF), UInt8(cts >> 8 & 0xFF), UInt8(cts & 0xFF)] + data
    }

    /// FLV audio tag bodies (E.4.2): AAC (10), 44 kHz, 16 bit, stereo; AAC packet type.
    static func audio(config: Bool = false, _ data: [UInt8]) -> [UInt8] { [0xAF, config ? 0 : 1] + data }

    /// Handshake, connect, createStream and publish of live/cam, then metadata and both sequence headers.
    private func publisher(_ h: PluginHarness) throws -> RtmpTestSession {
        var s = try RtmpTestSession(h)
        _ = try s.handshake()
        try s.connectAndCreateStream(app: "live")
        s.send(RtmpSpec.command([.string("publish"), .number(3), .null, .string("cam"), .string("live")], streamId: 1))
        s.send(RtmpSpec.chunks(csid: 4, type: 18, streamId: 1, (
            [Amf0.string("@setDataFrame"), .string("onMetaData"),
             .object([("videocodecid", .number(7)), ("audiocodecid", .number(10)), ("width", .number(176)), ("height", .number(144))])]
        ).flatMap(\.bytes)))
        s.send(RtmpSpec.chunks(csid: 6, type: 9, streamId: 1, timestamp: 0, Self.video(key: true, config: true, Self.avcC)))
        s.send(RtmpSpec.chunks(csid: 4, type: 8, streamId: 1, timestamp: 0, Self.audio(config: true, Self.asc)))
        return s
    }

    func testHandshakeEchoesC1AndStampsS1WithTheVirtualClock() throws {
        let h = try start()
        var s = try RtmpTestSession(h)
        let hs = try s.handshake(c1Time: 0x0A0B_0C0D)
        XCTAssertEqual(hs[0], 3, "S0 is version 3")
        let c1 = Array(RtmpSpec.c0c1(time: 0x0A0B_0C0D).dropFirst())
        let s2 = Array(hs[(1 + RtmpSpec.handshakeSize)...])
        XCTAssertEqual(Array(s2[0..<4]), Array(c1[0..<4]), "S2 carries C1's time")
        XCTAssertEqual(Array(s2[8...]), Array(c1[8...]), "S2 echoes C1's random bytes")
        let s1Time = UInt32(hs[1]) << 24 | UInt32(hs[2]) << 16 | UInt32(hs[3]) << 8 | UInt32(hs[4])
        XCTAssertEqual(s1Time, UInt32(truncatingIfNeeded: h.clock.nowUs / 1000), "S1's time is the host clock's")
        XCTAssertTrue(s.connection.isOpen)
    }

    func testConnectAndCreateStreamAreAnswered() throws {
        let h = try start()
        var s = try RtmpTestSession(h)
        _ = try s.handshake()
        try s.connectAndCreateStream(app: "live")
        try s.read()
        let types = s.output.messages.map(\.type)
        XCTAssertEqual(Array(types.prefix(3)), [5, 6, 1], "window ack size, peer bandwidth, chunk size before _result")
        let commands = try s.output.commands()
        XCTAssertEqual(commands.count, 2)
        XCTAssertEqual(commands.first?.first?.string, "_result")
        XCTAssertEqual(commands.first?[1].number, 1)
        XCTAssertEqual(commands.first?.count ?? 0 > 3 ? commands.first?[3]["code"]?.string : nil, "NetConnection.Connect.Success")
        XCTAssertEqual(commands.last?.first?.string, "_result")
        XCTAssertEqual(commands.last?[1].number, 2)
        XCTAssertEqual(commands.last?.last?.number, 1, "createStream gives stream id 1")
    }

    func testPublishedStreamAppearsOnTheBusWithItsCodecsAndTimestamps() throws {
        let h = try start()
        let probe = try h.read(app: "live", stream: "cam")
        var s = try publisher(h)
        try s.read()
        XCTAssertEqual(try s.output.statusCodes(), ["NetStream.Publish.Start"])
        s.send(RtmpSpec.chunks(csid: 6, type: 9, streamId: 1, timestamp: 0, Self.video(key: true, Self.idr)))
        s.send(RtmpSpec.chunks(csid: 4, type: 8, streamId: 1, timestamp: 23, Self.audio([0x21, 0x10, 0x04])))
        s.send(RtmpSpec.chunks(csid: 6, type: 9, streamId: 1, timestamp: 40, Self.video(key: false, cts: 40, Self.inter)))
        s.send(RtmpSpec.chunks(csid: 4, type: 8, streamId: 1, timestamp: 46, Self.audio([0x21, 0x10, 0x05])))

        XCTAssertEqual(probe.events.first, MR_READER_STARTED)
        XCTAssertEqual(probe.tracks.map(\.codec), [MR_CODEC_H264, MR_CODEC_AAC])
        XCTAssertEqual(probe.tracks.first?.extradata, Self.avcC)
        XCTAssertEqual(probe.tracks.last?.extradata, Self.asc)
        XCTAssertEqual(probe.tracks.last?.clockRate, 44_100)
        XCTAssertEqual(probe.tracks.last?.channels, 2)
        let video = probe.frames(track: 0), audio = probe.frames(track: 1)
        XCTAssertEqual(video.map(\.dts), [0, 40_000], "FLV milliseconds become bus microseconds")
        XCTAssertEqual(video.map(\.pts), [0, 80_000], "the composition time offset moves pts")
        XCTAssertEqual(video.map(\.isKey), [true, false])
        XCTAssertEqual(video.first?.payload, Self.idr, "the AVCC access unit, as sent")
        XCTAssertEqual(audio.map(\.dts), [23_000, 46_000])
        XCTAssertEqual(audio.first?.payload, [0x21, 0x10, 0x04], "raw AAC without the FLV header")
        XCTAssertEqual(h.streams.count, 1)
    }

    func testPlayerReceivesThePublishedFrames() throws {
        let h = try start()
        var pub = try publisher(h)
        pub.send(RtmpSpec.chunks(csid: 6, type: 9, streamId: 1, timestamp: 1000, Self.video(key: true, Self.idr)))
        pub.send(RtmpSpec.chunks(csid: 4, type: 8, streamId: 1, timestamp: 1010, Self.audio([0x21, 0x10, 0x04])))

        var player = try RtmpTestSession(h)
        _ = try player.handshake()
        try player.connectAndCreateStream(app: "live")
        player.send(RtmpSpec.command([.string("play"), .number(4), .null, .string("cam")], streamId: 1))
        pub.send(RtmpSpec.chunks(csid: 6, type: 9, streamId: 1, timestamp: 1040, Self.video(key: false, Self.inter)))
        pub.send(RtmpSpec.chunks(csid: 6, type: 9, streamId: 1, timestamp: 1080, Self.video(key: false, Self.inter)))
        try player.read()

        XCTAssertEqual(try player.output.statusCodes(), ["NetStream.Play.Reset", "NetStream.Play.Start"])
        let video = player.output.media(type: 9)
        XCTAssertEqual(video.first?.payload, Self.video(key: true, config: true, Self.avcC), "the sequence header comes first")
        let frames = video.filter { $0.payload.count > 1 && $0.payload[1] == 1 }
        XCTAssertEqual(frames.map(\.payload), [Self.video(key: true, Self.idr), Self.video(key: false, Self.inter),
                                               Self.video(key: false, Self.inter)], "from the keyframe on, as published")
        let times = frames.map { Int64($0.timestamp) }
        XCTAssertEqual(times.count, 3)
        if times.count == 3 {
            XCTAssertEqual([times[1] - times[0], times[2] - times[1]], [40, 40], "spacing kept on the player's timeline")
            XCTAssertLessThan(times[0], 1000, "the player's timeline starts near 0")
        }
        let audio = player.output.media(type: 8)
        XCTAssertEqual(audio.first?.payload, Self.audio(config: true, Self.asc))
        XCTAssertTrue(audio.contains { $0.payload == Self.audio([0x21, 0x10, 0x04]) })
    }

    func testHandshakeTimeoutClosesASilentClientOnTheVirtualClock() throws {
        let h = try start()
        let c = try h.connect()
        h.advance(ms: 9_999)
        XCTAssertTrue(c.isOpen, "not before 10 s")
        h.advance(ms: 1)
        XCTAssertTrue(c.closedByPlugin, "the plugin gives up on a handshake that never came")
        XCTAssertEqual(c.closeReason, Int32(MR_CLOSE_LOCAL.rawValue))
        XCTAssertEqual(h.clock.armedTimers, 0)
    }

    /// The timeout runs until publish or play is asked (`handshake_timeout_ms`): a client that completes the
    /// handshake and then idles is closed like one that never shakes hands.
    func testHandshakeAloneDoesNotCancelTheTimeout() throws {
        let h = try start()
        var s = try RtmpTestSession(h)
        _ = try s.handshake()
        XCTAssertEqual(h.clock.armedTimers, 1, "still armed after C2")
        h.advance(ms: 10_000)
        XCTAssertTrue(s.connection.closedByPlugin, "handshaken but idle: closed at the timeout")
    }

    func testPublishCancelsTheTimeout() throws {
        let h = try start()
        let s = try publisher(h)
        XCTAssertEqual(h.clock.armedTimers, 0, "the timer is cancelled once publish is asked")
        h.advance(ms: 60_000)
        XCTAssertTrue(s.connection.isOpen)
    }

    func testGarbageInsteadOfAHandshakeCloses() throws {
        let h = try start()
        let c = try h.connect()
        c.feed([UInt8](repeating: 0x16, count: 1 + RtmpSpec.handshakeSize))  // a TLS record where C0 should be
        h.runLoops()
        XCTAssertTrue(c.closedByPlugin)
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex), i < s.endIndex {
        out.append(UInt8(s[i..<j], radix: 16) ?? 0)
        i = j
    }
    return out
}
