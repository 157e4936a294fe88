#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import MRPluginKit
import PluginABI

/// ZLMediaKit's signalling before WHIP/WHEP, which its bundled webrtc player page still uses:
/// `POST /index/api/webrtc?app=&stream=&type=play|push` with the raw SDP offer as the body, answered 200 with
/// `{"code":0,"sdp":"…","id":"…","type":"answer"}`, or `{"code":-300|-400,"msg":"…"}` (its InvalidArgs and
/// Exception codes; ZLMediaKit's JSON API answers errors with HTTP 200 too).
extension WebrtcSignalling {
    static func legacy(_ query: [String: String]) -> Request {
        let app = query["app"] ?? "", stream = query["stream"] ?? ""
        switch query["type"] ?? "" {
        case "":
            return .legacyRefused(code: -300, message: "type is required (play or push)")
        case "play":
            return .play(app: app, stream: stream, style: .legacy)
        case "push":
            return .publish(app: app, stream: stream, style: .legacy)
        case "echo":
            // ZLMediaKit's echo test sends a peer's media back to it; a session here either plays or publishes.
            return .legacyRefused(code: -400, message: "type=echo is not supported: publish with type=push, play with type=play")
        case let other:
            return .legacyRefused(code: -400, message: "type=\(other) is not supported (play or push)")
        }
    }

    func legacyAnswer(_ ex: OpaquePointer, sdp: String, id: String) {
        legacyJson(ex, ["code": 0, "sdp": sdp, "id": id, "type": "answer"])
    }

    func legacyReply(_ ex: OpaquePointer, code: Int, _ message: String) {
        legacyJson(ex, ["code": code, "msg": message])
    }

    private func legacyJson(_ ex: OpaquePointer, _ object: [String: Any]) {
        let body = JSONText.text(object).map { Array($0.utf8) } ?? Array(#"{"code":-400}"#.utf8)
        respond(ex, 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: body)
    }
}
