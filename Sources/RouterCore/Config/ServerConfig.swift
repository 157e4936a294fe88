#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PluginABI

/// A whole validated `plugins.conf`: settings, plugin entries, and the warnings found on the way.
public struct ServerConfig: Equatable, Sendable {
    public let document: ConfigDocument
    public let settings: ServerSettings
    public let plugins: [PluginEntry]
    public let api: ApiSettings
    public let hook: HookSettings
    public let warnings: [String]

    public static func == (a: ServerConfig, b: ServerConfig) -> Bool {
        a.settings == b.settings && a.plugins == b.plugins && a.api == b.api && a.hook == b.hook
    }

    public static func load(path: String, executableDir: String) throws(ConfigError) -> ServerConfig {
        try validate(ConfigDocument.load(path: path), executableDir: executableDir)
    }

    /// Checks everything before anything is applied: a bad file changes nothing.
    public static func validate(_ document: ConfigDocument, executableDir: String) throws(ConfigError) -> ServerConfig {
        var warnings: [String] = []
        let settings = try ServerSettings.parse(document.server, document: document) { warnings.append($0) }
        let pluginDir = settings.pluginDir.map { $0.hasPrefix("/") ? $0 : document.directory + "/" + $0 } ?? executableDir
        var entries: [PluginEntry] = []
        var ports: [Int: String] = [:]
        for (name, table) in document.plugins {
            let entry = try PluginEntry.parse(name: name, table: table, document: document, pluginDir: pluginDir)
            if entry.enabled, let port = entry.port, port != 0 {
                if let other = ports[port] {
                    throw ConfigError(file: document.path, line: document.line(table: name, key: "port"), table: name,
                                      key: "port", message: "port \(port) is already used by [\(other)]")
                }
                ports[port] = name
            }
            if entry.enabled { try checkPluginKeys(entry, document: document, warnings: &warnings) }
            entries.append(entry)
        }
        let api = try ApiSettings.parse(document.core["api"] ?? [:], document: document) { warnings.append($0) }
        let hook = try HookSettings.parse(document.core["hook"] ?? [:], document: document) { warnings.append($0) }
        return ServerConfig(document: document, settings: settings, plugins: entries, api: api, hook: hook, warnings: warnings)
    }

    /// Keys the plugin declares are type-checked; keys it does not declare are warned about. A plugin that
    /// cannot be loaded is not a config error: it is refused at start and the server goes on.
    private static func checkPluginKeys(_ entry: PluginEntry, document: ConfigDocument, warnings: inout [String]) throws(ConfigError) {
        guard let descriptor = try? PluginLoader.load(path: entry.path) else { return }
        let declared = Dictionary(descriptor.configKeys.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        for (key, value) in entry.table.sorted(by: { $0.key < $1.key }) where !PluginEntry.coreKeys.contains(key) {
            guard let type = declared[key] else {
                let line = document.line(table: entry.name, key: key) ?? 0
                warnings.append("\(document.path):\(line): [\(entry.name)] unknown key '\(key)' (plugin \(descriptor.name) does not declare it)")
                continue
            }
            if !matches(value, type) {
                throw ConfigError(file: document.path, line: document.line(table: entry.name, key: key), table: entry.name,
                                  key: key, message: "expected \(typeName(type)), found \(value.typeName)")
            }
        }
    }

    private static func matches(_ value: ConfigValue, _ type: Int32) -> Bool {
        switch (value, UInt32(bitPattern: type)) {
        case (.string, MR_CONFIG_STRING.rawValue), (.int, MR_CONFIG_INT.rawValue), (.bool, MR_CONFIG_BOOL.rawValue),
             (.double, MR_CONFIG_DOUBLE.rawValue), (.int, MR_CONFIG_DOUBLE.rawValue), (.list, MR_CONFIG_LIST.rawValue),
             (.table, MR_CONFIG_TABLE.rawValue):
            return true
        default:
            return false
        }
    }

    private static func typeName(_ type: Int32) -> String {
        let name = ConfigKeyType.name(ofABI: type)
        return name == "list" ? "array" : name
    }
}
