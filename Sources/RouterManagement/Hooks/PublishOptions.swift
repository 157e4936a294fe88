import Foundation

/// What an on_publish answer asked of its stream that this server does (ZLMediaKit's per-stream
/// protocol options): record it, keep it through a publisher's short absence, and turn protocols off.
struct PublishOptions: Sendable {
    var recordMp4 = false
    var mp4SegmentSeconds: Int?
    /// continue_push_ms: the stream's own reconnect window.
    var continuePushMs: Int?
    /// The answer's protocol switches that are false (e.g. "enable_rtsp"): players of those are refused.
    var disabled: Set<String> = []
    /// The answer's fields this server takes but does nothing with, for one log line.
    var notApplied: [String] = []
    var asked = Date()

    /// ZLMediaKit's switch for each player protocol. FLV is ZLMediaKit's RTMP muxer, so enable_rtmp covers
    /// HTTP-FLV and WebSocket-FLV too; enable_hls covers both HLS variants.
    static let playSwitches: [String: String] = [
        "rtsp": "enable_rtsp",
        "rtmp": "enable_rtmp", "http-flv": "enable_rtmp", "ws-flv": "enable_rtmp",
        "hls": "enable_hls",
        "http-ts": "enable_ts", "ws-ts": "enable_ts",
        "http-fmp4": "enable_fmp4", "ws-fmp4": "enable_fmp4",
    ]
    static let switchNames = Set(playSwitches.values)

    init(answer: [String: any Sendable]) {
        for (name, value) in answer where name != "code" && name != "msg" {
            switch name {
            case "enable_mp4": recordMp4 = HookAnswer.flag(value) ?? false
            case "mp4_max_second": mp4SegmentSeconds = (value as? NSNumber)?.intValue
            case "continue_push_ms": continuePushMs = Self.milliseconds(value)
            case _ where Self.switchNames.contains(name):
                if HookAnswer.flag(value) == false { disabled.insert(name) }
            default: notApplied.append(name)
            }
        }
        notApplied.sort()
    }

    /// Nothing to keep for the stream: no recording, window or switch asked.
    var isEmpty: Bool { !recordMp4 && continuePushMs == nil && disabled.isEmpty }

    /// The switch that refuses a player of `protocolName`, nil if it may play.
    func refuses(_ protocolName: String) -> String? {
        guard let name = Self.playSwitches[protocolName], disabled.contains(name) else { return nil }
        return name
    }

    /// A number of milliseconds, as a number or a numeric string; at most an hour.
    private static func milliseconds(_ value: any Sendable) -> Int? {
        let n: Int?
        switch value {
        case let v as NSNumber: n = v.intValue
        case let v as String: n = Int(v.trimmingCharacters(in: .whitespaces))
        default: n = nil
        }
        guard let n, n >= 0 else { return nil }
        return min(n, 3_600_000)
    }
}
