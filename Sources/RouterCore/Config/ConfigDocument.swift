#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A parsed `plugins.conf`: the `[server]` table and one table per plugin, in file order.
public struct ConfigDocument: Equatable, Sendable {
    public let path: String
    public let text: String
    public let server: [String: ConfigValue]
    public let plugins: [(name: String, table: [String: ConfigValue])]
    /// `[api]` and `[hook]`, by name.
    public let core: [String: [String: ConfigValue]]

    public init(path: String, text: String, server: [String: ConfigValue], plugins: [(name: String, table: [String: ConfigValue])],
                core: [String: [String: ConfigValue]] = [:]) {
        self.path = path
        self.text = text
        self.server = server
        self.plugins = plugins
        self.core = core
    }

    public static func == (a: ConfigDocument, b: ConfigDocument) -> Bool {
        a.server == b.server && a.plugins.map(\.name) == b.plugins.map(\.name)
            && zip(a.plugins, b.plugins).allSatisfy { $0.table == $1.table } && a.core == b.core
    }

    public static func load(path: String) throws(ConfigError) -> ConfigDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, table: nil, key: nil, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, table: nil, key: nil, message: "not UTF-8 text")
        }
        return try parse(text: text, path: path)
    }

    public static func parse(text: String, path: String) throws(ConfigError) -> ConfigDocument {
        if let line = TomlPreflight.badTableHeaderLine(text) {
            throw ConfigError(file: path, line: line, table: nil, key: nil,
                              message: "TOML syntax: a table name starts with a letter, digit, '_', '-' or a quote")
        }
        let root: [(key: String, value: ConfigValue)]
        do {
            root = try TomlTree.parse(text)
        } catch {
            throw ConfigError(file: path, line: error.line, table: nil, key: nil, message: "TOML syntax: \(error.message)")
        }
        let locator = ConfigLocator(text: text)
        var server: [String: ConfigValue] = [:]
        var plugins: [(String, [String: ConfigValue])] = []
        var core: [String: [String: ConfigValue]] = [:]
        for (name, value) in root {
            guard case .table(let converted) = value else {
                throw ConfigError(file: path, line: locator.line(table: nil, key: name), table: nil, key: name,
                                  message: "top-level keys are not allowed; put it under [server] or a plugin table")
            }
            if name == "server" {
                server = converted
            } else if Self.coreTables.contains(name) {
                core[name] = converted
            } else {
                plugins.append((name, converted))
            }
        }
        // toml++ orders keys alphabetically; keep the operator's order from the text instead.
        plugins.sort { (locator.line(table: $0.0, key: nil) ?? 0) < (locator.line(table: $1.0, key: nil) ?? 0) }
        return ConfigDocument(path: path, text: text, server: server, plugins: plugins, core: core)
    }

    /// Tables the core reads itself besides `[server]` (the management API and web hooks); no plugin has
    /// these names.
    public static let coreTables: Set<String> = ["api", "hook"]

    public func plugin(_ name: String) -> [String: ConfigValue]? { plugins.first { $0.name == name }?.table }

    public func line(table: String?, key: String?) -> Int? { ConfigLocator(text: text).line(table: table, key: key) }
}
