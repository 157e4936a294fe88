/// One plugin table of `plugins.conf` as the core reads it: the keys the core owns plus the rest for the
/// plugin.
public struct PluginEntry: Equatable, Sendable {
    public let name: String
    public let enabled: Bool
    public let port: Int?
    /// The file to load: the table's `path`, or `<plugin_dir>/libmrplugin_<name>.so`.
    public let path: String
    public let explicitPath: Bool
    public let table: [String: ConfigValue]

    static let coreKeys: Set<String> = ["enabled", "port", "path", "max_connections", "max_connections_per_ip"]

    static func parse(name: String, table: [String: ConfigValue], document: ConfigDocument,
                      pluginDir: String) throws(ConfigError) -> PluginEntry {
        let reader = TableReader(table: table, tableName: name, document: document)
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw reader.error("", "plugin table names use letters, digits, '_' and '-' only")
        }
        let enabled = try reader.bool("enabled") ?? true
        let port = try reader.int("port", range: 0...65535)
        let explicit = try reader.string("path")
        // Read again at each accept (a reload applies at once); checked here so a bad value is a config error.
        _ = try reader.int("max_connections", range: 0...10_000_000)
        _ = try reader.int("max_connections_per_ip", range: 0...10_000_000)
        let path: String
        if let explicit {
            path = explicit.hasPrefix("/") ? explicit : (document.directory + "/" + explicit)
        } else {
            path = pluginDir + "/libmrplugin_\(name).so"
        }
        return PluginEntry(name: name, enabled: enabled, port: port, path: path, explicitPath: explicit != nil, table: table)
    }
}

extension ConfigDocument {
    /// Relative plugin paths are taken from the config file's folder.
    var directory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
