import Foundation
import RouterCore

/// ZLMediaKit's server endpoints: version, getApiList, getStatistic, getThreadsLoad, getServerConfig,
/// setServerConfig, restartServer; and the OpenAPI document of all endpoints.
enum ServerEndpoints {
    static func register(_ m: ManagementService) {
        m.api.add(.init("version", "server version and plugin ABI") { _, reply in
            reply(.success, ["data": ["branchName": "main", "buildTime": MediaRouterInfo.version, "commitHash": "",
                                      "version": MediaRouterInfo.version, "abi": MediaRouterInfo.abi] as [String: any Sendable]])
        })
        m.api.add(.init("getApiList", "every endpoint, core and plugin ones") { _, reply in
            let names = (m.api.endpoints.map(\.name) + m.api.pluginEndpoints.map(\.name)).sorted()
            reply(.success, ["data": names.map { ApiRouter.prefix + $0 }])
        })
        m.api.add(.init("getStatistic", "object counts: streams, readers, sessions, plugins") { _, reply in
            reply(.success, ["data": statistic(m)])
        })
        m.api.add(.init("getThreadsLoad", "per event loop: how late it runs a queued task (ms)") { _, reply in
            reply(.success, ["data": m.loopLag.lagMs.map { ["delay": Int($0.rounded()), "load": 0] as [String: any Sendable] }])
        })
        m.api.add(.init("getServerConfig", "every setting as section.key = value") { _, reply in
            reply(.success, ["data": [flatConfig(m.server.config)]])
        })
        m.api.add(.init("setServerConfig", "changes settings (section.key=value ...), saved to the config file and applied by a reload",
                        parameters: [("section.key", true, "any number of settings")]) { call, reply in
            let changes = call.params.filter { $0.key.contains(".") }
            guard !changes.isEmpty else { return reply(.invalidArgs, ["msg": "no section.key=value parameter"]) }
            apply(m, call: call, changes: changes, reply: reply)
        })
        m.api.add(.init("restartServer", "restarts the process in a second (same arguments)") { call, reply in
            m.logger.notice("restart asked by \(call.peer)")
            reply(.success, ["msg": "the server restarts in one second"])
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) {
                m.stop()   // as a SIGTERM would: the hooks' client closes before the loops
                m.server.restartProcess()
            }
        })
        m.api.add(.init("getOpenApi", "this API as an OpenAPI 3 document") { _, reply in
            reply(.success, ["data": OpenApiDocument.make(m)])
        })
    }

    /// getStatistic's counts (also on_server_keepalive's `data`).
    static func statistic(_ m: ManagementService) -> [String: any Sendable] {
        [
            "MediaSource": m.core.bus.describeStreams().count, "Reader": m.core.bus.readerList.count,
            "TcpSession": m.server.sessions().count, "Plugin": m.server.pluginDescriptions.count,
            "Command": m.core.commandList().count,
        ]
    }

    /// Writes settings into the config file (validated first: a bad value changes nothing) and reloads. Edits
    /// run one at a time (two at once would each write over the other's) and off the loops (a reload stops
    /// and starts plugins, which waits on the loops).
    static func apply(_ m: ManagementService, call: ApiCall, changes: [String: String], reply: @escaping ApiReply) {
        var mapped: [String: String] = [:]
        for (name, value) in changes {
            let n = aliases[name] ?? name
            if let refusal = refusal(m, n) { return reply(.invalidArgs, ["msg": "\(name): \(refusal)"]) }
            mapped[n] = value
        }
        let final = mapped
        edits.async { applyNow(m, call: call, changes: final, reply: reply) }
    }

    private static let edits = DispatchQueue(label: "mediarouter.api.config-edits")

    /// ZLMediaKit's names for settings we keep elsewhere.
    static let aliases: [String: String] = ["general.mediaServerId": "api.media_server_id", "http.port": "httpmux.port",
                                            "api.apiDebug": "api.loopback_exempt"]

    /// Keys that name files or libraries: the API may not point the server at another library, serve another
    /// folder or write somewhere else.
    static let protectedKeys: Set<String> = ["path", "plugin_dir", "www_root", "record_root", "vod_root", "disk_root", "snap_root", "default_snap"]

    /// Why `name` (section.key) may not be set through the API, or nil. Only tables that exist and keys the
    /// core or the plugin knows can be set.
    private static func refusal(_ m: ManagementService, _ name: String) -> String? {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "expected section.key" }
        let (table, key) = (parts[0], parts[1])
        if protectedKeys.contains(key) || key.contains("tls") || key.contains("cert") { return "cannot be changed through the API" }
        let known: [String]
        switch table {
        case "server": known = ServerSettings.keys.map(\.name)
        case "api": known = ApiSettings.keys.map(\.name)
        case "hook": known = HookSettings.keys.map(\.name)
        default:
            guard let plugin = m.server.pluginDescriptions.first(where: { $0["name"] as? String == table }) else {
                return "no table [\(table)] in the config (plugins are added by editing the file)"
            }
            known = ["enabled", "port"] + ((plugin["config_keys"] as? [String]) ?? [])
        }
        return known.contains(key) ? nil : "not a key of [\(table)]"
    }

    /// Runs work that blocks (file writes, plugin loading, reloads) off the event loops.
    static func offLoop(_ body: @escaping @Sendable () -> Void) { DispatchQueue.global().async(execute: body) }

    private static func applyNow(_ m: ManagementService, call: ApiCall, changes: [String: String], reply: @escaping ApiReply) {
            let path = m.server.configFile
            do {
                var text = try String(contentsOfFile: path, encoding: .utf8)
                let before = flatConfig(m.server.config)
                var changed = 0
                for (name, value) in changes.sorted(by: { $0.key < $1.key }) {
                    text = try ConfigFileEditor.set(text, name: name, value: value)
                    if before[name] != value { changed += 1 }
                }
                if let error = m.server.validate(text: text, untrusted: true) { return reply(.invalidArgs, ["msg": "\(error)"]) }
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                if let error = m.server.reloadNow(reason: "setServerConfig from \(call.peer)") {
                    return reply(.exception, ["msg": "\(error)"])
                }
                reply(.success, ["changed": changed])
            } catch let e as ConfigFileEditor.EditError {
                reply(.invalidArgs, ["msg": "\(e)"])
            } catch {
                reply(.exception, ["msg": "\(error)"])
            }
    }

    /// `section.key` -> value text, for getServerConfig (the values in the file, then the core's defaults).
    static func flatConfig(_ c: ServerConfig) -> [String: String] {
        var out: [String: String] = [:]
        let d = c.document
        for (k, v) in d.server { out["server.\(k)"] = v.text }
        for (name, table) in d.plugins { for (k, v) in table { out["\(name).\(k)"] = v.text } }
        for (name, table) in d.core { for (k, v) in table { out["\(name).\(k)"] = v.text } }
        let defaults: [String: String] = [
            "server.threads": "\(c.settings.threads)", "server.play_wait_ms": "\(c.settings.bus.playWaitMs)",
            "server.reconnect_window_ms": "\(c.settings.bus.reconnectWindowMs)", "server.none_reader_ms": "\(c.settings.bus.noneReaderMs)",
            "api.secret": c.api.secret, "api.media_server_id": c.api.mediaServerId, "api.loopback_exempt": "\(c.api.loopbackExempt)",
            "hook.enable": "\(c.hook.enable)", "hook.timeoutSec": "\(c.hook.timeoutSec)",
        ]
        for (k, v) in defaults where out[k] == nil { out[k] = v }
        // ZLMediaKit's names, for clients that read them (wvp-GB28181-pro reads general.mediaServerId).
        for (alias, ours) in aliases { if let v = out[ours] { out[alias] = v } }
        return out
    }
}
