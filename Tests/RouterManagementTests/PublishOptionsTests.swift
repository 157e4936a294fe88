import Foundation
@testable import RouterManagement
import XCTest

/// Reading an on_publish answer's per-stream options, from the JSON a hook receiver sends (ZLMediaKit's
/// field names; numbers, booleans and numeric strings all occur in real answers).
final class PublishOptionsTests: XCTestCase {
    private func options(_ json: String) throws -> PublishOptions {
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return PublishOptions(answer: object.mapValues { JSONValue.sendable($0) })
    }

    func testSwitchesWindowAndRecording() throws {
        let o = try options("""
            {"code":0,"msg":"success","enable_rtsp":false,"enable_rtmp":"0","enable_hls":1,"enable_fmp4":true,
             "continue_push_ms":"2500","enable_mp4":1,"mp4_max_second":600,"modify_stamp":2,"add_mute_audio":true}
            """)
        XCTAssertEqual(o.disabled, ["enable_rtsp", "enable_rtmp"])
        XCTAssertEqual(o.refuses("rtsp"), "enable_rtsp")
        XCTAssertEqual(o.refuses("http-flv"), "enable_rtmp", "FLV is ZLMediaKit's RTMP muxer")
        XCTAssertEqual(o.refuses("ws-flv"), "enable_rtmp")
        XCTAssertNil(o.refuses("hls"))
        XCTAssertNil(o.refuses("http-fmp4"))
        XCTAssertNil(o.refuses("mp4-record"), "the server's own readers are not players")
        XCTAssertEqual(o.continuePushMs, 2500)
        XCTAssertTrue(o.recordMp4)
        XCTAssertEqual(o.mp4SegmentSeconds, 600)
        XCTAssertEqual(o.notApplied, ["add_mute_audio", "modify_stamp"])
        XCTAssertFalse(o.isEmpty)
    }

    func testNothingToKeepAndBadValues() throws {
        XCTAssertTrue(try options(#"{"code":0,"msg":"success"}"#).isEmpty)
        XCTAssertTrue(try options(#"{"code":0,"enable_hls":true,"enable_mp4":false}"#).isEmpty, "all on is the default")
        let bad = try options(#"{"code":0,"continue_push_ms":-5,"enable_ts":"maybe"}"#)
        XCTAssertNil(bad.continuePushMs, "a negative window is ignored")
        XCTAssertTrue(bad.disabled.isEmpty, "an unreadable switch leaves the protocol on")
        XCTAssertEqual(try options(#"{"continue_push_ms":99999999999}"#).continuePushMs, 3_600_000, "bounded to an hour")
    }
}
