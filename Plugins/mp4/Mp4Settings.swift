#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MP4Formats
import MRPluginKit
import PluginABI

/// The `[mp4]` table.
struct Mp4Settings: Sendable {
    var recordRoot = "./record"
    var template = RecordPath.defaultTemplate
    var segmentSeconds = 3600
    var patterns: [String] = []
    var maxRecordings = 64
    var faststart = false
    var vodApp = "vod"
    var vodRoot = "./record"
    var vodLoop = false

    init() {}

    init(_ host: PluginHost) {
        recordRoot = host.string("record_root", default: "./record")
        template = host.string("record_path", default: RecordPath.defaultTemplate)
        if template.isEmpty || template.hasPrefix("/") {
            host.log(MR_LOG_WARNING, "[mp4] record_path must be relative to record_root; using \(RecordPath.defaultTemplate)")
            template = RecordPath.defaultTemplate
        }
        segmentSeconds = max(2, min(86_400, host.int("record_segment_s", default: 3600)))
        patterns = host.list("record")
        maxRecordings = max(1, min(4096, host.int("max_recordings", default: 64)))
        faststart = host.bool("record_faststart", default: false)
        vodApp = host.string("vod_app", default: "vod")
        vodRoot = host.string("vod_root", default: recordRoot)
        vodLoop = host.bool("vod_loop", default: false)
    }

    /// The file a VOD stream name stands for: `<vod_root>/<stream>`, `.mp4` added if missing; nil for names
    /// that would leave the root.
    func vodPath(stream: String) -> String? {
        let parts = stream.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." }),
              !stream.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" }) else { return nil }
        var name = parts.joined(separator: "/")
        if !name.lowercased().hasSuffix(".mp4") { name += ".mp4" }
        let base = vodRoot.hasSuffix("/") ? String(vodRoot.dropLast()) : vodRoot
        return "\(base)/\(name)"
    }

    /// Whether an existing VOD file, symlinks followed, is still under vod_root: a link planted in the folder
    /// must not make any file on the machine playable (httpmux's www_root holds the same line).
    func vodFileStaysInside(_ path: String) -> Bool {
        guard let file = Self.realPath(path), let root = Self.realPath(vodRoot) else { return false }
        return file.hasPrefix(root == "/" ? "/" : root + "/")
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static let keys: [(String, mr_config_type, String)] = [
        ("record_root", MR_CONFIG_STRING, "directory recordings are written under (default ./record)"),
        ("record_path", MR_CONFIG_STRING, "file path template under record_root: {vhost} {app} {stream} {date} {time} {epoch} {seq} (default {app}/{stream}/{date}/{time}.mp4)"),
        ("record_segment_s", MR_CONFIG_INT, "a recording starts a new file at the first keyframe after this many seconds (default 3600)"),
        ("record", MR_CONFIG_LIST, "streams recorded whenever they are published: \"app/stream\" patterns, * matches any text"),
        ("max_recordings", MR_CONFIG_INT, "recordings at once (default 64)"),
        ("record_faststart", MR_CONFIG_BOOL, "rewrite each finished file as a progressive faststart MP4 (default false: files stay fragmented, which survives a crash and plays everywhere)"),
        ("vod_app", MR_CONFIG_STRING, "app name whose streams are MP4 files played at real time (default vod): <vod_app>/<file under vod_root>"),
        ("vod_root", MR_CONFIG_STRING, "directory VOD files are read from (default: record_root)"),
        ("vod_loop", MR_CONFIG_BOOL, "start a VOD file over at its end instead of ending the stream (default false)"),
    ]

    /// Whether `app/stream` matches one of the always-record patterns.
    func alwaysRecords(app: String, stream: String) -> Bool {
        let name = "\(app)/\(stream)"
        return patterns.contains { Self.glob($0[...], name[...]) }
    }

    /// `*` matches any run of characters; everything else matches itself.
    static func glob(_ pattern: Substring, _ text: Substring) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        if first == "*" {
            let rest = pattern.dropFirst()
            var t = text
            while true {
                if glob(rest, t) { return true }
                guard !t.isEmpty else { return false }
                t = t.dropFirst()
            }
        }
        guard let c = text.first, c == first else { return false }
        return glob(pattern.dropFirst(), text.dropFirst())
    }
}
