#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MP4Formats
import MRPluginKit
import PluginABI

/// ZLMediaKit's recording endpoints, with its parameter names and reply shapes.
enum Mp4RecordApi {
    static func register(_ plugin: Mp4Plugin) {
        let host = plugin.host
        ApiEndpoint.register(host, name: "startRecord") { [weak plugin] req, reply in
            guard let plugin else { return reply(.exception, ["msg": "stopped"]) }
            guard let target = target(req) else { return reply(.invalidArgs, ["msg": "app and stream are required"]) }
            guard (req.int("type") ?? 1) == 1 else { return reply(.invalidArgs, ["msg": "only type=1 (mp4) is recorded by this plugin"]) }
            var template: String?
            if let dir = req.string("customized_path") {
                // ZLMediaKit's customized_path replaces the record root; ours keeps the same layout under it.
                template = RecordPath.safe(dir) + "/" + plugin.settings.template
            }
            switch plugin.startRecording(target, template: template, segmentSeconds: req.int("max_second").map { max(2, $0) }) {
            case .started, .already: reply(.success, ["result": true])
            case .full: reply(.other, ["result": false, "msg": "too many recordings"])
            case .failed: reply(.other, ["result": false, "msg": "cannot read the stream"])
            }
        }
        ApiEndpoint.register(host, name: "stopRecord") { [weak plugin] req, reply in
            guard let plugin, let target = target(req) else { return reply(.invalidArgs, ["msg": "app and stream are required"]) }
            let stopped = plugin.stopRecording(target.key)
            reply(stopped ? .success : .other, ["result": stopped] as [String: Any])
        }
        ApiEndpoint.register(host, name: "isRecording") { [weak plugin] req, reply in
            guard let plugin, let target = target(req) else { return reply(.invalidArgs, ["msg": "app and stream are required"]) }
            reply(.success, ["status": plugin.recorder(target.key) != nil])
        }
        ApiEndpoint.register(host, name: "getMP4RecordFile") { [weak plugin] req, reply in
            guard let plugin, let target = target(req) else { return reply(.invalidArgs, ["msg": "app and stream are required"]) }
            // The default layout is ZLMediaKit's: <root>/<app>/<stream>/<date>/<time>.mp4.
            var dir = plugin.settings.recordRoot + "/" + RecordPath.safe(target.app) + "/" + RecordPath.safe(target.stream)
            if let custom = req.string("customized_path") { dir = plugin.settings.recordRoot + "/" + RecordPath.safe(custom) + "/" + RecordPath.safe(target.app) + "/" + RecordPath.safe(target.stream) }
            let period = req.string("period")
            if let period { dir += "/" + RecordPath.safe(period) }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .filter { period == nil || $0.hasSuffix(".mp4") }.sorted()
            let root = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
            reply(.success, ["data": ["paths": names, "rootPath": root + "/"]])
        }
    }

    static func registerVod(_ plugin: Mp4Plugin) {
        // ZLMediaKit's seek of a recording being played: `stamp` in ms from the file's start.
        ApiEndpoint.register(plugin.host, name: "seekRecordStamp") { [weak plugin] req, reply in
            guard let plugin, let target = target(req), let stamp = req.int("stamp") else {
                return reply(.invalidArgs, ["msg": "app, stream and stamp are required"])
            }
            plugin.seekVod(target.key, ms: Int64(stamp)) { landed in
                guard let landed else { return reply(.notFound, ["msg": "not a VOD stream being played"]) }
                reply(.success, ["stamp": landed])
            }
        }
    }

    private static func target(_ req: ApiRequest) -> Mp4Recorder.Target? {
        guard let app = req.string("app"), let stream = req.string("stream") else { return nil }
        let vhost = req.string("vhost") ?? ""
        return .init(vhost: vhost == "__defaultVhost__" ? "" : vhost, app: app, stream: stream)
    }
}
