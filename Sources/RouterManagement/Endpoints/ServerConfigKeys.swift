#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import RouterCore

/// The settings getServerConfig shows and setServerConfig may change, under our names and ZLMediaKit's.
/// ZLMediaKit's own settings map onto the core's keys here; the ones that are a plugin's key come from that
/// plugin's declaration (`config_aliases`), so this file names no protocol.
struct ServerConfigKeys {
    /// ZLMediaKit's names of the core's settings.
    static let coreAliases: [String: String] = [
        "general.mediaServerId": "api.media_server_id",
        "general.streamNoneReaderDelayMS": "server.none_reader_ms",
        "general.maxStreamWaitMS": "server.play_wait_ms",
        "general.mergeWriteMS": "server.merge_write_ms",
        "protocol.continue_push_ms": "server.reconnect_window_ms",
        "api.apiDebug": "api.loopback_exempt",
        "api.defaultSnap": "api.default_snap",
        "api.snapRoot": "api.snap_root",
    ]

    /// Keys that name files or libraries: the API may not point the server at another library, serve another
    /// folder or write somewhere else.
    static let protectedKeys: Set<String> = ["path", "plugin_dir", "www_root", "record_root", "vod_root", "disk_root", "snap_root", "default_snap"]

    enum Resolution: Equatable {
        /// Our `table.key` and its type ("string", "integer", "boolean", "float", "list").
        case settable(name: String, type: String)
        /// A key of ours that the API may not change.
        case refused(String)
        /// Not a setting of this server (ZLMediaKit's keys without a counterpart here, typos).
        case unknown
    }

    let served: ServedProtocols
    let plugins: [[String: Any]]

    init(_ m: ManagementService) {
        served = ServedProtocols(m)
        plugins = m.server.pluginDescriptions
    }

    /// Our name for `name` (ZLMediaKit's or ours), whether the API may set it, and its type.
    func resolve(_ name: String) -> Resolution {
        let ours = Self.coreAliases[name] ?? served.configAliases[name].map { "\($0.plugin).\($0.alias.key)" } ?? name
        let parts = ours.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return .unknown }
        let (table, key) = (parts[0], parts[1])
        let types: [String: String]
        switch table {
        case "server": types = Self.typed(ServerSettings.keys)
        case "api": types = Self.typed(ApiSettings.keys)
        case "hook": types = Self.typed(HookSettings.keys)
        default:
            guard let plugin = plugins.first(where: { $0["name"] as? String == table }) else { return .unknown }
            types = (plugin["config_key_types"] as? [String: String] ?? [:]).merging(["enabled": "boolean", "port": "integer"]) { a, _ in a }
        }
        if Self.protectedKeys.contains(key) || key.contains("tls") || key.contains("cert") {
            return types[key] == nil && key != "path" ? .unknown : .refused("\(name): cannot be changed through the API")
        }
        guard let type = types[key] else { return .unknown }
        return .settable(name: ours, type: type)
    }

    private static func typed(_ keys: [(name: String, type: String, help: String)]) -> [String: String] {
        Dictionary(keys.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
    }

    /// `value` as ZLMediaKit's clients send it (its ini holds strings: booleans as 0/1, numbers as "10" or
    /// "10.0") turned into the text of a value of `type`, or why it cannot be one.
    static func normalized(_ value: String, type: String) -> Result<String, ApiError> {
        let v = value.trimmingSpaces()
        switch type {
        case "boolean":
            switch v.lowercased() {
            case "1", "true", "yes", "on": return .success("true")
            case "0", "false", "no", "off": return .success("false")
            default: return .failure(ApiError(.invalidArgs, "expected a boolean (0, 1, true or false), found \"\(v)\""))
            }
        case "integer":
            if let i = Int64(v) { return .success(String(i)) }
            if let d = Double(v), d.rounded() == d, abs(d) < 9e15 { return .success(String(Int64(d))) }
            return .failure(ApiError(.invalidArgs, "expected an integer, found \"\(v)\""))
        case "float":
            guard let d = Double(v), d.isFinite else { return .failure(ApiError(.invalidArgs, "expected a number, found \"\(v)\"")) }
            return .success(v.contains(".") || v.contains("e") || v.contains("E") ? v : "\(v).0")
        default:
            return .success(value)
        }
    }

    /// getServerConfig's ZLMediaKit-named entries: the core's aliases and the plugins' declared ones, with
    /// the values of the keys they stand for (a declared default when the table does not set the key).
    func zlmEntries(_ ours: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (alias, name) in Self.coreAliases { if let v = ours[name] { out[alias] = v } }
        for (alias, target) in served.configAliases {
            if let v = ours["\(target.plugin).\(target.alias.key)"] ?? target.alias.defaultValue { out[alias] = v }
        }
        return out
    }
}
