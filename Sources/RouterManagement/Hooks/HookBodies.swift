import MRPluginKit
import RouterCore

/// The fields of ZLMediaKit's hook bodies that come from a stream and a client (its MediaInfo and socket).
/// `mediaServerId` and `hook_index` are added when the hook is sent.
enum HookBodies {

    static func media(_ key: StreamKey, schema: String, params: String = "") -> [String: any Sendable] {
        ["schema": schema, "vhost": key.vhost, "app": key.app, "stream": key.stream, "params": params]
    }

    /// The client's address. `id` is ZLMediaKit's socket identifier; neither auth questions nor bus events
    /// carry our connection id, so it is empty.
    static func client(_ peer: String, into body: inout [String: any Sendable]) {
        let (ip, port) = MediaEndpoints.splitPeer(peer)
        body["ip"] = ip
        body["port"] = port
        body["id"] = ""
    }

    static func auth(_ q: AuthCopy, _ served: ServedProtocols) -> [String: any Sendable] {
        var b = media(q.key, schema: served.hookSchema(q.protocolName), params: q.query)
        client(q.peer, into: &b)
        b["protocol"] = q.protocolName
        if q.publish {
            let (type, name) = served.origin(q.protocolName)
            b["originType"] = type
            b["originTypeStr"] = name
        }
        return b
    }

    static func key(_ e: BusEventInfo) -> StreamKey { StreamKey(vhost: e.vhost, app: e.app, stream: e.stream) }

    /// on_stream_not_found: the player waiting for the stream. Bus events do not carry the URL query.
    static func notFound(_ e: BusEventInfo, _ served: ServedProtocols) -> [String: any Sendable] {
        var b = media(key(e), schema: served.hookSchema(e.protocolName))
        client(e.peer, into: &b)
        b["protocol"] = e.protocolName
        return b
    }

    /// on_flow_report for a player that left: the payload bytes it was given and how long it watched (the
    /// stop event's traffic fields; container and transport overhead are not counted).
    static func flowReport(_ e: BusEventInfo, _ served: ServedProtocols) -> [String: any Sendable] {
        var b = media(key(e), schema: served.hookSchema(e.protocolName))
        client(e.peer, into: &b)
        b["protocol"] = e.protocolName
        b["player"] = true
        b["totalBytes"] = e.bytes
        b["duration"] = Int(e.durationMs / 1000)   // ZLMediaKit: whole seconds
        return b
    }
}
