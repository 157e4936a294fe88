#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras

/// What a plugin serves, from its descriptor's `serves` JSON text (ABI 1.3): the ZLMediaKit schemas it
/// plays and the reader protocols counted toward each, its sources' origin types, the URL schemes it pulls
/// from and pushes to. The management core reads only this, so it never names a protocol.
public struct PluginDeclaration: Sendable, Equatable {
    public struct Schema: Sendable, Equatable {
        public let name: String
        public let readers: [String]
    }

    public struct Source: Sendable, Equatable {
        public let protocolName: String
        public let schema: String?
        public let originType: Int
        public let originTypeStr: String
    }

    public struct Scheme: Sendable, Equatable {
        public let scheme: String
        /// Empty: every URL of the scheme; else the URL path (before `?`/`#`) must end with one of these.
        public let pathSuffixes: [String]
        /// ffmpeg input options for such a URL (getSnap).
        public let snapInput: [String]

        public func matches(_ url: String) -> Bool {
            let lower = url.lowercased()
            guard lower.hasPrefix(scheme + "://") else { return false }
            guard !pathSuffixes.isEmpty else { return true }
            let path = lower.prefix { $0 != "?" && $0 != "#" }
            return pathSuffixes.contains { path.hasSuffix($0) }
        }
    }

    public var schemas: [Schema] = []
    public var sources: [Source] = []
    public var pull: [Scheme] = []
    public var push: [Scheme] = []
    /// Recording formats (e.g. "mp4") the plugin writes on demand through its `<plugin>.record.start`
    /// command: an on_publish answer's `enable_<format>` asks for one.
    public var records: [String] = []

    /// A ZLMediaKit setting that is one of this plugin's keys (`http.port` -> httpmux's `port`), so
    /// getServerConfig shows it and setServerConfig sets it under ZLMediaKit's name.
    public struct ConfigAlias: Sendable, Equatable {
        public let name: String
        public let key: String
        /// Shown when the plugin's table does not set the key (the plugin's own default, as text).
        public let defaultValue: String?
    }
    public var configAliases: [ConfigAlias] = []
    /// False for a placeholder plugin: it loads, opens nothing, and its state says so.
    public var implemented = true
    /// The plugin keeps sessions the host does not see (UDP peers, libraries' own sockets) and offers
    /// `<plugin>.session.list` and `<plugin>.session.kick`, so getAllSession, kick_session and getMediaList's
    /// origin include them.
    public var sessions = false

    public static let empty = PluginDeclaration()

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Longer texts are refused: a declaration is a few hundred bytes.
    static let maxBytes = 64 * 1024
    /// ZLMediaKit's originType values (0 unknown ... 9 srt_push); later ones are accepted up to this.
    static let maxOriginType = 63

    public init() {}

    /// Parses a declaration; a malformed one is refused with the member at fault, so a third-party plugin's
    /// author sees why at load time rather than finding its streams missing from lists.
    public init(json text: String) throws(Invalid) {
        guard text.utf8.count <= Self.maxBytes else { throw Invalid(description: "longer than \(Self.maxBytes) bytes") }
        guard let object = JSONText.parse(text) else { throw Invalid(description: "not JSON: the text is not a JSON object or array") }
        guard let root = object as? [String: Any] else { throw Invalid(description: "not a JSON object") }
        for item in try Self.objects(root, "schemas") {
            guard let name = Self.name(item["name"]) else { throw Invalid(description: "schemas: each needs a \"name\" (letters, digits, '-', '_', '.')") }
            let readers = try Self.names(item["readers"], "schemas.\(name).readers")
            schemas.append(Schema(name: name, readers: readers))
        }
        for item in try Self.objects(root, "sources") {
            guard let proto = Self.name(item["protocol"]) else { throw Invalid(description: "sources: each needs a \"protocol\"") }
            let type = JSONNumber.int(item["origin_type"]) ?? 0
            guard (0...Self.maxOriginType).contains(type) else { throw Invalid(description: "sources.\(proto).origin_type out of range") }
            let schema = item["schema"].flatMap(Self.name)
            let typeStr = (item["origin_type_str"] as? String).flatMap(Self.name) ?? (type == 0 ? "unknown" : "")
            sources.append(Source(protocolName: proto, schema: schema, originType: type, originTypeStr: typeStr))
        }
        pull = try Self.schemes(root, "pull")
        push = try Self.schemes(root, "push")
        records = try Self.names(root["records"], "records")
        for item in try Self.objects(root, "config_aliases") {
            guard let name = Self.name(item["name"]), name.contains("."), let key = Self.name(item["key"]) else {
                throw Invalid(description: "config_aliases: each needs a \"name\" (section.key) and a \"key\" of the plugin's table")
            }
            let def = item["default"].map { v -> String in (v as? String) ?? JSONNumber.string(v) ?? "\(v)" }
            configAliases.append(ConfigAlias(name: name, key: key, defaultValue: def.map { String($0.prefix(256)) }))
        }
        if let flag = root["implemented"] {
            guard let b = flag as? Bool else { throw Invalid(description: "implemented: expected true or false") }
            implemented = b
        }
        if let flag = root["sessions"] {
            guard let b = flag as? Bool else { throw Invalid(description: "sessions: expected true or false") }
            sessions = b
        }
    }

    private static func objects(_ root: [String: Any], _ key: String) throws(Invalid) -> [[String: Any]] {
        guard let value = root[key] else { return [] }
        guard let list = value as? [Any], list.count <= 256 else { throw Invalid(description: "\(key): expected an array (at most 256 items)") }
        var out: [[String: Any]] = []
        for item in list {
            guard let o = item as? [String: Any] else { throw Invalid(description: "\(key): expected objects") }
            out.append(o)
        }
        return out
    }

    private static func names(_ value: Any?, _ what: String) throws(Invalid) -> [String] {
        guard let value else { return [] }
        guard let list = value as? [Any], list.count <= 256 else { throw Invalid(description: "\(what): expected an array of names") }
        var out: [String] = []
        for item in list {
            guard let n = name(item) else { throw Invalid(description: "\(what): expected names (letters, digits, '-', '_', '.')") }
            out.append(n)
        }
        return out
    }

    private static func schemes(_ root: [String: Any], _ key: String) throws(Invalid) -> [Scheme] {
        var out: [Scheme] = []
        for item in try objects(root, key) {
            guard let scheme = name(item["scheme"])?.lowercased() else { throw Invalid(description: "\(key): each needs a \"scheme\"") }
            var suffixes: [String] = []
            if let list = item["path_suffixes"] {
                guard let l = list as? [String], l.count <= 64, l.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 }) else {
                    throw Invalid(description: "\(key).\(scheme).path_suffixes: expected an array of strings")
                }
                suffixes = l.map { $0.lowercased() }
            }
            var snap: [String] = []
            if let list = item["snap_input"] {
                guard let l = list as? [String], l.count <= 16, l.allSatisfy({ $0.utf8.count <= 128 && !$0.contains("\n") }) else {
                    throw Invalid(description: "\(key).\(scheme).snap_input: expected an array of short strings")
                }
                snap = l
            }
            out.append(Scheme(scheme: scheme, pathSuffixes: suffixes, snapInput: snap))
        }
        return out
    }

    /// A protocol, schema or scheme name: 1-64 ASCII letters, digits, '-', '_', '.', '+'.
    private static func name(_ value: Any?) -> String? {
        guard let s = value as? String, (1...64).contains(s.utf8.count),
              s.utf8.allSatisfy({ c in (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E || c == 0x2B })
        else { return nil }
        return s
    }

    /// The declaration as a JSON-ready value, for plugin lists.
    public var jsonValue: [String: Any] {
        [
            "schemas": schemas.map { ["name": $0.name, "readers": $0.readers] as [String: Any] },
            "sources": sources.map { s -> [String: Any] in
                var d: [String: Any] = ["protocol": s.protocolName, "origin_type": s.originType, "origin_type_str": s.originTypeStr]
                if let schema = s.schema { d["schema"] = schema }
                return d
            },
            "pull": pull.map(Self.schemeValue), "push": push.map(Self.schemeValue), "records": records,
            "config_aliases": configAliases.map { a -> [String: Any] in
                var d: [String: Any] = ["name": a.name, "key": a.key]
                if let v = a.defaultValue { d["default"] = v }
                return d
            },
            "implemented": implemented, "sessions": sessions,
        ]
    }

    private static func schemeValue(_ s: Scheme) -> [String: Any] {
        var d: [String: Any] = ["scheme": s.scheme]
        if !s.pathSuffixes.isEmpty { d["path_suffixes"] = s.pathSuffixes }
        if !s.snapInput.isEmpty { d["snap_input"] = s.snapInput }
        return d
    }
}
