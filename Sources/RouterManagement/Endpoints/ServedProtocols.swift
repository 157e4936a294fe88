import RouterCore

/// The running plugins' declarations (ABI 1.3 `serves`) merged into the tables the API and hooks read:
/// which schemas streams play in and which reader protocols count toward each, what the sources' origin
/// types are, which plugin pulls or pushes a URL. Built anew for each use from the current plugin set, so
/// a plugin that starts or stops changes the answers at once. This file names no protocol.
struct ServedProtocols: Sendable {
    struct Schema: Sendable {
        let name: String
        var readers: Set<String>
    }

    /// In the order the plugins declare them (the config's order), each once; readers of every plugin that
    /// declares the schema added up.
    private(set) var schemas: [Schema] = []
    private var sources: [String: PluginDeclaration.Source] = [:]
    private var pulls: [(plugin: String, scheme: PluginDeclaration.Scheme)] = []
    private var pushes: [(plugin: String, scheme: PluginDeclaration.Scheme)] = []
    /// Recording format -> the plugin that records it.
    private(set) var recorders: [String: String] = [:]
    /// Plugins that list their own sessions (`<plugin>.session.list` and `.kick`).
    private(set) var sessionPlugins: [String] = []
    /// ZLMediaKit setting name -> the plugin table and key it is.
    private(set) var configAliases: [String: (plugin: String, alias: PluginDeclaration.ConfigAlias)] = [:]

    init(_ declarations: [(plugin: String, declaration: PluginDeclaration)]) {
        for (plugin, d) in declarations {
            for s in d.schemas {
                if let i = schemas.firstIndex(where: { $0.name == s.name }) {
                    schemas[i].readers.formUnion(s.readers)
                } else {
                    schemas.append(Schema(name: s.name, readers: Set(s.readers)))
                }
            }
            for s in d.sources where sources[s.protocolName] == nil { sources[s.protocolName] = s }
            pulls += d.pull.map { (plugin, $0) }
            pushes += d.push.map { (plugin, $0) }
            for f in d.records where recorders[f] == nil { recorders[f] = plugin }
            for a in d.configAliases where configAliases[a.name] == nil { configAliases[a.name] = (plugin, a) }
            if d.sessions { sessionPlugins.append(plugin) }
        }
    }

    init(_ m: ManagementService) { self.init(m.server.pluginDeclarations) }

    var schemaNames: [String] { schemas.map(\.name) }

    /// The schema whose players a reader of `protocolName` is, nil for the server's own readers (recorders).
    func schema(ofReader protocolName: String) -> String? {
        schemas.first { $0.readers.contains(protocolName) }?.name
    }

    /// The schema a hook body names for a client of `protocolName`: a player's schema, else the one its
    /// publisher's plugin declares, else the protocol name itself.
    func hookSchema(_ protocolName: String) -> String {
        schema(ofReader: protocolName) ?? sources[protocolName]?.schema ?? protocolName
    }

    /// ZLMediaKit's originType and originTypeStr of a source published by `protocolName`.
    func origin(_ protocolName: String) -> (type: Int, name: String) {
        guard let s = sources[protocolName] else { return (0, "unknown") }
        return (s.originType, s.originTypeStr)
    }

    /// Plugins that pull, or push, some URL: each offers `<plugin>.proxy.*` or `<plugin>.pusher.*`.
    var pullPlugins: [String] { unique(pulls.map(\.plugin)) }
    var pushPlugins: [String] { unique(pushes.map(\.plugin)) }

    /// The plugin that pulls `url`, or why none does.
    func pullPlugin(_ url: String) -> Result<String, ApiError> {
        if let hit = pulls.first(where: { $0.scheme.matches(url) }) { return .success(hit.plugin) }
        return .failure(ApiError(.invalidArgs, "no running plugin pulls this url; pulled: " + describe(pulls)))
    }

    /// The plugin that pushes to `url`, or why none does.
    func pushPlugin(_ url: String) -> Result<String, ApiError> {
        if let hit = pushes.first(where: { $0.scheme.matches(url) }) { return .success(hit.plugin) }
        return .failure(ApiError(.invalidArgs, "no running plugin pushes to this url; pushed: " + describe(pushes)))
    }

    /// The URL schemes some running plugin pulls, each once.
    var pullSchemes: [String] { unique(pulls.map(\.scheme.scheme)) }

    /// ffmpeg input options the pulling plugin asks for such a URL (getSnap).
    func snapInput(_ url: String) -> [String] {
        pulls.first { $0.scheme.matches(url) }?.scheme.snapInput ?? []
    }

    private func describe(_ list: [(plugin: String, scheme: PluginDeclaration.Scheme)]) -> String {
        guard !list.isEmpty else { return "none" }
        return list.map { e in
            e.scheme.pathSuffixes.isEmpty ? "\(e.scheme.scheme)://" : "\(e.scheme.scheme)://…{\(e.scheme.pathSuffixes.joined(separator: ","))}"
        }.joined(separator: ", ")
    }

    private func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
