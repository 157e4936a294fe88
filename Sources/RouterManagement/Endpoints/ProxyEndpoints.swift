#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import PluginABI
import RouterCore

/// ZLMediaKit's proxy endpoints: addStreamProxy, delStreamProxy, listStreamProxy, getProxyInfo and their
/// pusher forms. The proxies live in the protocol plugins (each offers `<plugin>.proxy.*` and
/// `<plugin>.pusher.*` commands); these endpoints pick the plugin by the URL schemes the plugins declare
/// (ServedProtocols) and merge the plugins' lists into ZLMediaKit's shapes.
enum ProxyEndpoints {
    static func register(_ m: ManagementService) {
        let stream: [(String, Bool, String)] = [("vhost", false, "default __defaultVhost__"), ("app", true, "app"), ("stream", true, "stream")]
        let options: [(String, Bool, String)] = [
            ("retry_count", false, "failures in a row retried before giving up; -1 (default) forever"),
            ("timeout_sec", false, "connect timeout in seconds (default 5)"),
        ]
        m.api.add(.init("addStreamProxy", "pulls a stream into the bus (rtsp, rtmp, HLS .m3u8, HTTP-FLV .flv or HTTP-TS .ts URL)",
                        parameters: stream + [("url", true, "rtsp[s]://, rtmp[s]://, http[s]://…m3u8, http[s]://…flv or http[s]://…ts")] + options
                            + [("rtp_type", false, "RTSP: 0 tcp, 1 udp"), ("enable_*", false, "accepted; every protocol serves every stream")]) { call, reply in
            guard case .success(let v) = call.require("app", "stream", "url") else { return reply(.invalidArgs, ["msg": missing(call, ["app", "stream", "url"])]) }
            let served = ServedProtocols(m)
            switch served.pullPlugin(v[2]) {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let plugin):
                let key = "\(call.string("vhost") ?? StreamKey.defaultVhost)/\(v[0])/\(v[1])"
                // A key is used once over all plugins, as in ZLMediaKit.
                gather(m, served.pullPlugins.map { "\($0).proxy.list" }, ["key": key]) { lists in
                    guard lists.allSatisfy({ ($0.reply["proxies"] as? [Any] ?? []).isEmpty }) else {
                        return reply(.other, ["msg": "This stream already exists"])
                    }
                    add(m, "\(plugin).proxy.add", call.params, reply: reply)
                }
            }
        })
        m.api.add(.init("addStreamPusherProxy", "pushes a bus stream to an rtmp[s]:// or rtsp[s]:// server",
                        parameters: [("schema", false, "the source's schema (rtmp, rtsp): part of the key")] + stream
                            + [("dst_url", true, "rtmp[s]:// or rtsp[s]://")] + options) { call, reply in
            guard case .success(let v) = call.require("app", "stream", "dst_url") else {
                return reply(.invalidArgs, ["msg": missing(call, ["app", "stream", "dst_url"])])
            }
            switch ServedProtocols(m).pushPlugin(v[2]) {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let plugin): add(m, "\(plugin).pusher.add", call.params, reply: reply)
            }
        })
        for kind in ["proxy", "pusher"] {
            @Sendable func plugins() -> [String] {
                let served = ServedProtocols(m)
                return kind == "proxy" ? served.pullPlugins : served.pushPlugins
            }
            let suffix = kind == "proxy" ? "StreamProxy" : "StreamPusherProxy"
            m.api.add(.init("del\(suffix)", "stops and removes a \(kind) by key", parameters: [("key", true, "the key add\(suffix) answered")]) { call, reply in
                guard let key = call.string("key") else { return reply(.invalidArgs, ["msg": "missing parameter key"]) }
                gather(m, plugins().map { "\($0).\(kind).del" }, ["key": key]) { answers in
                    reply(.success, ["data": ["flag": answers.contains { bool($0.reply["flag"]) }] as [String: any Sendable]])
                }
            })
            m.api.add(.init("list\(suffix)", "the \(kind)s of every plugin, with their state",
                            parameters: [("key", false, "only this one")]) { call, reply in
                items(m, kind, plugins(), key: call.string("key")) { reply(.success, ["data": $0]) }
            })
            let info = kind == "proxy" ? "getProxyInfo" : "getProxyPusherInfo"
            m.api.add(.init(info, "one \(kind)'s state", parameters: [("key", true, "its key")]) { call, reply in
                guard let key = call.string("key") else { return reply(.invalidArgs, ["msg": "missing parameter key"]) }
                items(m, kind, plugins(), key: key) { list in
                    guard let item = list.first else { return reply(.notFound, ["msg": "can not find the \(kind)"]) }
                    reply(.success, ["data": item])
                }
            })
        }
    }

    /// Ends a stream for good: a pull proxy feeding it is removed first (else it would pull it again), then
    /// the stream is closed. `done(closed)` runs once, on any thread.
    static func closeStream(_ m: ManagementService, _ key: StreamKey, done: @escaping @Sendable (Bool) -> Void) {
        gather(m, ServedProtocols(m).pullPlugins.map { "\($0).proxy.del" }, ["key": "\(key.vhost)/\(key.app)/\(key.stream)"]) { answers in
            let hadProxy = answers.contains { bool($0.reply["flag"]) }
            let closed = m.core.bus.closeStream(key)
            done(closed || hadProxy)
        }
    }

    private static func missing(_ call: ApiCall, _ keys: [String]) -> String {
        "missing parameter " + keys.filter { call.string($0) == nil }.joined(separator: ", ")
    }

    private static func int(_ v: Any?) -> Int { JSONNumber.int(v) ?? 0 }
    private static func bool(_ v: Any?) -> Bool { JSONNumber.bool(v) ?? false }

    /// Calls an add command and answers `{"data":{"key":...}}` or the plugin's refusal.
    private static func add(_ m: ManagementService, _ command: String, _ params: [String: String], reply: @escaping ApiReply) {
        let plugin = command.prefix { $0 != "." }
        let offered = m.host.callCommand(command, params, loop: -1) { status, answer in
            let message = answer["error"] as? String ?? "the \(plugin) plugin failed (\(status))"
            switch Int(status) {
            case Int(MR_OK): reply(.success, ["data": ["key": answer["key"] as? String ?? ""] as [String: any Sendable]])
            case Int(MR_ERR_BUSY): reply(.other, ["msg": "This stream already exists"])
            case Int(MR_ERR_INVALID): reply(.invalidArgs, ["msg": message])
            default: reply(.other, ["msg": message])
            }
        }
        if !offered { reply(.other, ["msg": "the \(plugin) plugin is not running"]) }
    }

    /// The plugins' list items in ZLMediaKit's shape, with the stream's readers and bytes from the bus.
    private static func items(_ m: ManagementService, _ kind: String, _ plugins: [String], key: String?,
                              done: @escaping @Sendable ([any Sendable]) -> Void) {
        var args: [String: String] = [:]
        if let key { args["key"] = key }
        gather(m, plugins.map { "\($0).\(kind).list" }, args) { lists in
            let streams = m.core.bus.describeStreams()
            let readers = m.core.bus.readerList
            var out: [any Sendable] = []
            for p in lists.flatMap({ $0.reply["proxies"] as? [[String: Any]] ?? [] }) {
                let (vhost, app, stream) = (p["vhost"] as? String ?? StreamKey.defaultVhost, p["app"] as? String ?? "", p["stream"] as? String ?? "")
                let source = streams.first { ($0["vhost"] as? String ?? StreamKey.defaultVhost) == vhost && $0["app"] as? String == app && $0["stream"] as? String == stream }
                let online = bool(p["online"])
                var item: [String: any Sendable] = [
                    "key": p["key"] as? String ?? "", "url": p["url"] as? String ?? "",
                    "status": online ? 0 : -1, "online": online, "state": p["state"] as? String ?? "", "plugin": p["plugin"] as? String ?? "",
                    "liveSecs": int(p["live_secs"]), "lastError": p["last_error"] as? String ?? "", "bytesSpeed": 0,
                    "src": ["vhost": vhost, "app": app, "stream": stream, "params": ""] as [String: any Sendable],
                ]
                item[kind == "proxy" ? "rePullCount" : "rePublishCount"] = int(p["reconnects"])
                if kind == "proxy" {
                    item["totalBytes"] = online ? (source?["bytes_in"] as? Int64 ?? 0) : 0
                    item["totalReaderCount"] = readers.filter { $0.key.vhost == vhost && $0.key.app == app && $0.key.stream == stream }.count
                } else {
                    item["totalBytes"] = 0
                }
                out.append(item)
            }
            done(out)
        }
    }

    /// Calls every command with the same arguments and hands over the answers of those that answered OK
    /// (a plugin that is not running offers none).
    static func gather(_ m: ManagementService, _ commands: [String], _ args: [String: String],
                               done: @escaping @Sendable ([CommandAnswer]) -> Void) {
        let pending = AnswerGathering<CommandAnswer>(count: commands.count, done: done)
        for c in commands {
            let offered = m.host.callCommand(c, args, loop: -1) { status, answer in
                pending.arrived(status == MR_OK ? CommandAnswer(command: c, reply: answer) : nil)
            }
            if !offered { pending.arrived(nil) }
        }
    }
}

struct CommandAnswer: @unchecked Sendable {
    let command: String
    /// JSON values only (strings, numbers, arrays, objects): read, never shared for writing.
    let reply: [String: Any]
}
