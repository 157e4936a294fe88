import HttpProtocol
import XCTest

/// What each live URL suffix, plain or over WebSocket, is played as.
final class LiveKindTests: XCTestCase {
    private func kind(_ path: String, websocket: Bool = false) throws -> LiveKind {
        let url = try XCTUnwrap(LiveURL(path: path, query: ""), path)
        return LiveKind(url.format, websocket: websocket)
    }

    func testHttpForms() throws {
        let flv = try kind("/live/cam.live.flv"), ts = try kind("/live/cam.live.ts"), mp4 = try kind("/live/cam.live.mp4")
        XCTAssertEqual([flv.ringFormat, ts.ringFormat, mp4.ringFormat], ["flv", "ts", "fmp4"])
        XCTAssertEqual([flv.protocolName, ts.protocolName, mp4.protocolName], ["http-flv", "http-ts", "http-fmp4"])
        XCTAssertEqual([flv.contentType, ts.contentType, mp4.contentType], ["video/x-flv", "video/mp2t", "video/mp4"])
        XCTAssertEqual([flv.label, ts.label, mp4.label], ["HTTP-FLV", "HTTP-TS", "HTTP-fMP4"])
    }

    func testWebSocketFormsReadTheirOwnRings() throws {
        let flv = try kind("/live/cam.live.flv", websocket: true), ts = try kind("/a/b/cam.live.ts", websocket: true)
        let mp4 = try kind("/live/cam.live.mp4", websocket: true)
        XCTAssertEqual([flv.ringFormat, ts.ringFormat, mp4.ringFormat], ["ws-flv", "ws-ts", "ws-fmp4"])
        XCTAssertEqual([flv.protocolName, ts.protocolName, mp4.protocolName], ["ws-flv", "ws-ts", "ws-fmp4"])
        XCTAssertEqual([flv.label, ts.label, mp4.label], ["WebSocket-FLV", "WebSocket-TS", "WebSocket-fMP4"])
        XCTAssertEqual(flv.contentType, "video/x-flv", "the content type does not depend on the transport")
    }

    func testOnlyFlvRebasesEachPlayersTimestamps() throws {
        XCTAssertTrue(try kind("/live/cam.live.flv").rebasesTimestamps)
        XCTAssertTrue(try kind("/live/cam.live.flv", websocket: true).rebasesTimestamps)
        XCTAssertFalse(try kind("/live/cam.live.ts").rebasesTimestamps)
        XCTAssertFalse(try kind("/live/cam.live.mp4").rebasesTimestamps)
    }
}
