import PluginABI
import PluginHarness
import RouterCore
import XCTest

/// The httpmux plugin's HTTP connections driven in-process: an HTTP-FLV player of a synthetic stream, a
/// malformed request, and a player that stops reading, dropped on the virtual clock.
final class HttpMuxPluginTests: XCTestCase {
    private var harness: PluginHarness?

    override func tearDown() {
        harness?.shutdown()
        harness = nil
    }

    private func start(_ config: String = "port = 0") throws -> PluginHarness {
        let h = try PluginHarness(plugin: "httpmux", config: config)
        harness = h
        return h
    }

    /// live/cam with H.264 and AAC, a keyframe and an audio frame written.
    private func publishCam(_ h: PluginHarness) throws -> BusPublisher {
        let p = try h.publish(app: "live", stream: "cam", tracks: [
            .h264(avcC: RtmpPluginTests.avcC, width: 176, height: 144),
            .aac(config: RtmpPluginTests.asc, sampleRate: 44_100, channels: 2),
        ])
        XCTAssertEqual(p.write(track: 0, pts: 0, key: true, RtmpPluginTests.idr), Int32(MR_OK))
        XCTAssertEqual(p.write(track: 1, pts: 23_000, [0x21, 0x10, 0x04]), Int32(MR_OK))
        return p
    }

    /// The head (up to the blank line) and the body of an HTTP response.
    private func split(_ bytes: [UInt8]) -> (head: String, body: [UInt8])? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == crlf2 }) else { return nil }
        return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[(end + 4)...]))
    }

    /// FLV tags (FLV spec E.4.1) after the file header: type, timestamp (with its extension byte), body.
    private func tags(_ flv: [UInt8]) -> [(type: UInt8, timestamp: UInt32, body: [UInt8])] {
        guard flv.count >= 13 else { return [] }
        var out: [(UInt8, UInt32, [UInt8])] = []
        var at = Int(UInt32(flv[5]) << 24 | UInt32(flv[6]) << 16 | UInt32(flv[7]) << 8 | UInt32(flv[8])) + 4
        while at + 11 <= flv.count {
            let size = Int(flv[at + 1]) << 16 | Int(flv[at + 2]) << 8 | Int(flv[at + 3])
            let ts = UInt32(flv[at + 7]) << 24 | UInt32(flv[at + 4]) << 16 | UInt32(flv[at + 5]) << 8 | UInt32(flv[at + 6])
            guard at + 11 + size + 4 <= flv.count else { break }
            out.append((flv[at], ts, Array(flv[(at + 11)..<(at + 11 + size)])))
            at += 11 + size + 4
        }
        return out
    }

    func testHttpFlvGetGetsAnFlvHeaderAndTheStreamsTags() throws {
        let h = try start()
        let p = try publishCam(h)
        let c = try h.connect()
        c.feed("GET /live/cam.live.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: harness\r\n\r\n")
        h.runLoops()
        XCTAssertEqual(p.write(track: 0, pts: 40_000, RtmpPluginTests.inter), Int32(MR_OK))
        XCTAssertEqual(p.write(track: 0, pts: 80_000, RtmpPluginTests.inter), Int32(MR_OK))
        h.runLoops()

        let response = try XCTUnwrap(split(c.sent), "a complete response head")
        XCTAssertTrue(response.head.hasPrefix("HTTP/1.1 200"), response.head)
        XCTAssertTrue(response.head.lowercased().contains("content-type: video/x-flv"), response.head)
        let flv = response.body
        XCTAssertEqual(Array(flv.prefix(3)), Array("FLV".utf8))
        XCTAssertEqual(flv.count > 4 ? flv[3] : 0, 1, "FLV version 1")
        XCTAssertEqual(flv.count > 4 ? flv[4] : 0, 5, "audio and video flags")
        let all = tags(flv)
        let video = all.filter { $0.type == 9 }, audio = all.filter { $0.type == 8 }
        XCTAssertEqual(video.first?.body, RtmpPluginTests.video(key: true, config: true, RtmpPluginTests.avcC))
        XCTAssertEqual(audio.first?.body, RtmpPluginTests.audio(config: true, RtmpPluginTests.asc))
        let frames = video.filter { $0.body.count > 1 && $0.body[1] == 1 }
        XCTAssertEqual(frames.map(\.body), [RtmpPluginTests.video(key: true, RtmpPluginTests.idr),
                                            RtmpPluginTests.video(key: false, RtmpPluginTests.inter),
                                            RtmpPluginTests.video(key: false, RtmpPluginTests.inter)])
        let times = frames.map { Int64($0.timestamp) }
        if times.count == 3 { XCTAssertEqual([times[1] - times[0], times[2] - times[1]], [40, 40]) }
        XCTAssertTrue(audio.contains { $0.body == RtmpPluginTests.audio([0x21, 0x10, 0x04]) })
        XCTAssertTrue(c.isOpen, "a live body ends only when the stream or the connection does")
    }

    func testMalformedRequestGets400AndTheConnectionCloses() throws {
        let h = try start()
        let c = try h.connect()
        c.feed("THIS IS NOT HTTP\r\n\r\n")
        h.runLoops()
        let head = String(decoding: c.sent, as: UTF8.self)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 400"), head)
        XCTAssertTrue(c.closedByPlugin)
    }

    func testUnknownLiveStreamIs404AfterThePlayWait() throws {
        var server = ServerSettings()
        server.bus.playWaitMs = 50
        let h = try PluginHarness(plugin: "httpmux", config: "port = 0", server: server)
        harness = h
        let c = try h.connect()
        c.feed("GET /live/none.live.flv HTTP/1.1\r\nHost: x\r\n\r\n")
        // The bus's play wait is the core's own timer (real time), not the plugin's.
        let deadline = Date().addingTimeInterval(5)
        while !c.closedByPlugin && Date() < deadline { usleep(10_000); h.runLoops() }
        XCTAssertTrue(String(decoding: c.sent, as: UTF8.self).hasPrefix("HTTP/1.1 404"))
    }

    /// An HTTP-FLV player of live/cam on a plugin that drops players stalled for 2 s.
    private func stallablePlayer() throws -> (PluginHarness, FakeConnection) {
        let h = try start("port = 0\nstall_timeout_ms = 2000")
        _ = try publishCam(h)
        let c = try h.connect()
        c.feed("GET /live/cam.live.flv HTTP/1.1\r\nHost: x\r\n\r\n")
        h.runLoops()
        XCTAssertTrue(String(decoding: c.sent.prefix(12), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        return (h, c)
    }

    func testPlayerThatStopsReadingIsDroppedAfterTheStallTimeout() throws {
        let (h, c) = try stallablePlayer()
        c.setWritable(false)
        h.advance(ms: 1_999)
        XCTAssertTrue(c.isOpen, "within the stall timeout")
        h.advance(ms: 1)
        XCTAssertTrue(c.closedByPlugin, "dropped once the socket stayed full for stall_timeout_ms")
    }

    func testPlayerThatCatchesUpIsKept() throws {
        let (h, c) = try stallablePlayer()
        c.setWritable(false)
        h.advance(ms: 1_500)
        c.setWritable(true)
        h.advance(ms: 10_000)
        XCTAssertTrue(c.isOpen, "the stall timer stops when the socket drains")
    }
}
