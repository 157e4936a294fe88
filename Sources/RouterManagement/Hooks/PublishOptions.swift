#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras

/// What an on_publish answer asked of its stream that this server does (ZLMediaKit's per-stream
/// protocol options): record it, keep it through a publisher's short absence, and turn protocols off.
struct PublishOptions: Sendable {
    /// Recording formats asked (`enable_<format>` true, for the formats plugins declare they record).
    var record: Set<String> = []
    /// `<format>_max_second`: the recording's segment length.
    var segmentSeconds: [String: Int] = [:]
    /// continue_push_ms: the stream's own reconnect window.
    var continuePushMs: Int?
    /// Schemas whose switch (`enable_<schema>`, e.g. enable_rtsp) the answer set false: their players are refused.
    var disabled: Set<String> = []
    /// The answer's fields this server takes but does nothing with, for one log line.
    var notApplied: [String] = []
    var asked = Date()

    /// `schemas`: those the running plugins serve. ZLMediaKit names its switches after them (enable_rtsp,
    /// enable_rtmp, which covers HTTP-FLV as FLV is its RTMP muxer's, enable_hls, enable_ts, enable_fmp4).
    /// `recordings`: the formats plugins record (ZLMediaKit's enable_mp4 and mp4_max_second).
    init(answer: [String: any Sendable], schemas: [String], recordings: [String] = []) {
        let switches = Dictionary(schemas.map { ("enable_\($0)", $0) }, uniquingKeysWith: { a, _ in a })
        let recordSwitches = Dictionary(recordings.map { ("enable_\($0)", $0) }, uniquingKeysWith: { a, _ in a })
        let segmentKeys = Dictionary(recordings.map { ("\($0)_max_second", $0) }, uniquingKeysWith: { a, _ in a })
        for (name, value) in answer where name != "code" && name != "msg" {
            switch name {
            case _ where recordSwitches[name] != nil:
                if HookAnswer.flag(value) == true, let f = recordSwitches[name] { record.insert(f) }
            case _ where segmentKeys[name] != nil:
                if let f = segmentKeys[name], let n = JSONNumber.int(value) ?? Int("\(value)") { segmentSeconds[f] = n }
            case "continue_push_ms": continuePushMs = Self.milliseconds(value)
            case _ where switches[name] != nil:
                if HookAnswer.flag(value) == false, let schema = switches[name] { disabled.insert(schema) }
            default: notApplied.append(name)
            }
        }
        notApplied.sort()
    }

    /// Nothing to keep for the stream: no recording, window or switch asked.
    var isEmpty: Bool { record.isEmpty && continuePushMs == nil && disabled.isEmpty }

    /// The switch that refuses a player of `schema` (nil: the server's own readers), nil if it may play.
    func refuses(schema: String?) -> String? {
        guard let schema, disabled.contains(schema) else { return nil }
        return "enable_\(schema)"
    }

    /// A number of milliseconds, as a number or a numeric string; at most an hour.
    private static func milliseconds(_ value: any Sendable) -> Int? {
        let n: Int?
        if let v = value as? String { n = Int(v.trimmingSpaces()) } else { n = JSONNumber.int(value) }
        guard let n, n >= 0 else { return nil }
        return min(n, 3_600_000)
    }
}
