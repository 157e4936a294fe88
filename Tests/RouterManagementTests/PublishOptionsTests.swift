import Foundation
import RouterCore
@testable import RouterManagement
import XCTest

/// Reading an on_publish answer's per-stream options, from the JSON a hook receiver sends (ZLMediaKit's
/// field names; numbers, booleans and numeric strings all occur in real answers).
final class PublishOptionsTests: XCTestCase {
    private func options(_ json: String) throws -> PublishOptions {
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return PublishOptions(answer: object.mapValues { JSONValue.sendable($0) }, schemas: served.schemaNames,
                              recordings: Array(served.recorders.keys))
    }

    /// Two plugins' declarations: one serves rtmp and rtsp, the other adds FLV players to rtmp and the rest.
    private let served = ServedProtocols([
        ("a", try! PluginDeclaration(json: #"{"schemas": [{"name": "rtmp", "readers": ["rtmp"]}, {"name": "rtsp", "readers": ["rtsp"]}]}"#)),
        ("b", try! PluginDeclaration(json: #"""
            {"schemas": [{"name": "rtmp", "readers": ["http-flv", "ws-flv"]}, {"name": "ts", "readers": ["http-ts"]},
                         {"name": "fmp4", "readers": ["http-fmp4"]}, {"name": "hls", "readers": ["hls"]}],
             "records": ["mp4"]}
            """#)),
    ])

    private func refuses(_ o: PublishOptions, _ reader: String) -> String? { o.refuses(schema: served.schema(ofReader: reader)) }

    func testSwitchesWindowAndRecording() throws {
        let o = try options("""
            {"code":0,"msg":"success","enable_rtsp":false,"enable_rtmp":"0","enable_hls":1,"enable_fmp4":true,
             "continue_push_ms":"2500","enable_mp4":1,"mp4_max_second":600,"modify_stamp":2,"add_mute_audio":true}
            """)
        XCTAssertEqual(o.disabled, ["rtsp", "rtmp"])
        XCTAssertEqual(refuses(o, "rtsp"), "enable_rtsp")
        XCTAssertEqual(refuses(o, "http-flv"), "enable_rtmp", "FLV is ZLMediaKit's RTMP muxer")
        XCTAssertEqual(refuses(o, "ws-flv"), "enable_rtmp")
        XCTAssertNil(refuses(o, "hls"))
        XCTAssertNil(refuses(o, "http-fmp4"))
        XCTAssertNil(refuses(o, "mp4-record"), "the server's own readers are not players")
        XCTAssertEqual(o.continuePushMs, 2500)
        XCTAssertEqual(o.record, ["mp4"])
        XCTAssertEqual(o.segmentSeconds["mp4"], 600)
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
