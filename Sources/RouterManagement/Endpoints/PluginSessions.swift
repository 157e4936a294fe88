#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import PluginABI
import RouterCore

/// Sessions the host does not see (a plugin's UDP peers, a library's own sockets), from the plugins that
/// declare `"sessions": true` (ABI 1.3 `serves`): each answers `<plugin>.session.list` with
/// `{"sessions": [...]}` and closes one on `<plugin>.session.kick` `{"id": ...}`. The API shows such a
/// session as `<plugin>-<id>`, so its id never collides with a host session's number or another plugin's.
struct PluginSession: Sendable {
    let plugin: String
    let id: String
    let localIP: String
    let localPort: Int
    let peerIP: String
    let peerPort: Int
    let vhost: String
    let app: String
    let stream: String
    /// "publisher" (the origin of its stream) or "player".
    let role: String
    let protocolName: String
    /// The plugin's own numbers (RTT, loss, buffers, ...), shown as they came.
    let stats: [String: any Sendable]

    var apiID: String { "\(plugin)-\(id)" }

    /// getAllSession's item: ZLMediaKit's fields, then what only a plugin session has.
    var listItem: [String: any Sendable] {
        ["id": apiID, "identifier": apiID, "local_ip": localIP, "local_port": localPort, "peer_ip": peerIP, "peer_port": peerPort,
         "typeid": plugin, "protocol": protocolName, "role": role, "vhost": vhost, "app": app, "stream": stream, "stats": stats]
    }

    /// A list item as the plugin sent it; nil when it has no usable id (the rest defaults to empty).
    init?(plugin: String, _ o: [String: Any]) {
        func text(_ k: String) -> String { (o[k] as? String).map { String($0.prefix(256)) } ?? "" }
        func port(_ k: String) -> Int { JSONNumber.int(o[k]).map { min(max($0, 0), 65_535) } ?? 0 }
        let id = text("id")
        guard !id.isEmpty, id.utf8.count <= 64 else { return nil }
        self.plugin = plugin
        self.id = id
        (localIP, localPort, peerIP, peerPort) = (text("local_ip"), port("local_port"), text("peer_ip"), port("peer_port"))
        let v = text("vhost")
        (vhost, app, stream) = (v.isEmpty ? StreamKey.defaultVhost : v, text("app"), text("stream"))
        role = text("role")
        protocolName = text("protocol")
        stats = ((o["stats"] as? [String: Any]) ?? [:]).filter { $0.key.utf8.count <= 64 }.prefix(64)
            .reduce(into: [:]) { $0[$1.key] = JSONValue.sendable($1.value) }
    }

    /// Every declaring plugin's sessions, then `done` on any thread (a plugin that fails or times out adds none).
    static func gather(_ m: ManagementService, done: @escaping @Sendable ([PluginSession]) -> Void) {
        let plugins = ServedProtocols(m).sessionPlugins
        ProxyEndpoints.gather(m, plugins.map { "\($0).session.list" }, [:]) { answers in
            done(answers.flatMap { a -> [PluginSession] in
                let plugin = String(a.command.dropLast(".session.list".count))
                return (a.reply["sessions"] as? [[String: Any]] ?? []).prefix(100_000).compactMap { PluginSession(plugin: plugin, $0) }
            })
        }
    }

    /// The declaring plugin whose sessions' ids `apiID` has the form of, if any.
    static func owner(_ m: ManagementService, _ apiID: String) -> String? {
        // The longest name wins, so plugins "a" and "a-b" cannot take each other's sessions.
        ServedProtocols(m).sessionPlugins.filter { apiID.hasPrefix($0 + "-") }.max { $0.count < $1.count }
    }

    /// Closes `<plugin>-<id>`; `done(found)` once, on any thread. False at once when no declaring plugin
    /// owns the prefix.
    static func kick(_ m: ManagementService, _ apiID: String, done: @escaping @Sendable (Bool) -> Void) {
        guard let owner = owner(m, apiID) else { return done(false) }
        let offered = m.host.callCommand("\(owner).session.kick", ["id": String(apiID.dropFirst(owner.count + 1))], loop: -1) { status, reply in
            done(status == MR_OK && (JSONNumber.bool(reply["found"]) ?? false))
        }
        if !offered { done(false) }
    }

    /// getMediaList items with their origin's session filled in: the publisher session of the same stream
    /// gives `originSock`'s identifier and local address and its stats as `originStats`.
    static func attachOrigins(_ items: [[String: any Sendable]], _ sessions: [PluginSession]) -> [[String: any Sendable]] {
        let publishers = sessions.filter { $0.role == "publisher" }
        guard !publishers.isEmpty else { return items }
        return items.map { item in
            guard let s = publishers.first(where: { $0.vhost == item["vhost"] as? String && $0.app == item["app"] as? String
                                                    && $0.stream == item["stream"] as? String }) else { return item }
            var out = item
            out["originSock"] = ["identifier": s.apiID, "local_ip": s.localIP, "local_port": s.localPort,
                                 "peer_ip": s.peerIP, "peer_port": s.peerPort] as [String: any Sendable]
            out["originStats"] = s.stats
            return out
        }
    }
}
