#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RouterCore

/// Our own endpoints for what ZLMediaKit lacks: the plugin list, enabling or disabling a plugin, reloading
/// the config (the SIGHUP path) and validating a config without applying it.
enum PluginEndpoints {
    static func register(_ m: ManagementService) {
        m.api.add(.init("getPluginList", "plugins: name, version, ABI, path, state, listeners, sessions") { _, reply in
            reply(.success, ["data": m.server.pluginDescriptions.map { JSONValue.sendable($0) }])
        })
        m.api.add(.init("setPluginEnabled", "enables or disables a plugin: saved to the config file, applied by a reload",
                        parameters: [("name", true, "the plugin's table name"), ("enabled", true, "1/true or 0/false")]) { call, reply in
            switch call.require("name", "enabled") {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let v):
                guard m.server.config.plugins.contains(where: { $0.name == v[0] }) else {
                    return reply(.notFound, ["msg": "no plugin table [\(v[0])] in the config"])
                }
                let on = call.bool("enabled") ?? false
                ServerEndpoints.apply(m, call: call, changes: ["\(v[0]).enabled": on ? "true" : "false"], reply: reply)
            }
        })
        m.api.add(.init("reloadConfig", "re-reads the config file and applies it (as SIGHUP)") { call, reply in
            ServerEndpoints.offLoop {
                if let error = m.server.reloadNow(reason: "reloadConfig from \(call.peer)") {
                    return reply(.invalidArgs, ["msg": "\(error)"])
                }
                reply(.success, [:])
            }
        })
        m.api.add(.init("checkConfig", "validates a config text (the body's `config`, or the file) without applying it",
                        parameters: [("config", false, "TOML text; the config file when missing")]) { call, reply in
            ServerEndpoints.offLoop {
                let text = call.string("config") ?? ((try? String(contentsOfFile: m.server.configFile, encoding: .utf8)) ?? "")
                if let error = m.server.validate(text: text, untrusted: call.string("config") != nil) {
                    return reply(.success, ["valid": false, "error": "\(error)"])
                }
                reply(.success, ["valid": true])
            }
        })
    }
}
