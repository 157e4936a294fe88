#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import RouterCore

/// ZLMediaKit's server endpoints: version, getApiList, getStatistic, getThreadsLoad, getServerConfig,
/// setServerConfig, restartServer; and the OpenAPI document of all endpoints.
enum ServerEndpoints {
    static func register(_ m: ManagementService) {
        m.api.add(.init("version", "server version and plugin ABI") { _, reply in
            reply(.success, ["data": ["branchName": "main", "buildTime": MediaRouterInfo.version, "commitHash": "",
                                      "version": MediaRouterInfo.version, "abi": MediaRouterInfo.abi] as [String: any Sendable]])
        })
        m.api.add(.init("getApiList", "every endpoint, core and plugin ones") { _, reply in
            let names = (m.api.endpoints.map(\.name) + m.api.pluginEndpoints.map(\.name)).sorted()
            reply(.success, ["data": names.map { ApiRouter.prefix + $0 }])
        })
        m.api.add(.init("getStatistic", "object counts: streams, readers, sessions, plugins") { _, reply in
            reply(.success, ["data": statistic(m)])
        })
        m.api.add(.init("getThreadsLoad", "per event loop: how late it runs a queued task (ms)") { _, reply in
            reply(.success, ["data": m.loopLag.lagMs.map { ["delay": Int($0.rounded()), "load": 0] as [String: any Sendable] }])
        })
        m.api.add(.init("getServerConfig", "every setting as section.key = value") { _, reply in
            let ours = flatConfig(m.server.config)
            // ZLMediaKit's names beside ours, for clients that read them (wvp-GB28181-pro reads general.mediaServerId,
            // http.port, http.sslport, rtmp.port, rtsp.port, rtp_proxy.port and hook.alive_interval).
            let all = ours.merging(ServerConfigKeys(m).zlmEntries(ours)) { a, _ in a }
            reply(.success, ["data": [all]])
        })
        m.api.add(.init("setServerConfig", "changes settings (section.key=value ...), saved to the config file and applied by a reload",
                        parameters: [("section.key", true, "any number of settings")]) { call, reply in
            let changes = call.params.filter { $0.key.contains(".") }
            guard !changes.isEmpty else { return reply(.invalidArgs, ["msg": "no section.key=value parameter"]) }
            apply(m, call: call, changes: changes, reply: reply)
        })
        m.api.add(.init("restartServer", "restarts the process in a second (same arguments)") { call, reply in
            m.logger.notice("restart asked by \(call.peer)")
            reply(.success, ["msg": "the server restarts in one second"])
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) {
                m.stop()   // as a SIGTERM would: the hooks' client closes before the loops
                m.server.restartProcess()
            }
        })
        m.api.add(.init("getOpenApi", "this API as an OpenAPI 3 document") { _, reply in
            reply(.success, ["data": OpenApiDocument.make(m)])
        })
    }

    /// getStatistic's counts (also on_server_keepalive's `data`): the listed streams, readers and sessions,
    /// and the core objects alive now (ZLMediaKit's ObjectStatistic), which a leak keeps above their baseline.
    static func statistic(_ m: ManagementService) -> [String: any Sendable] {
        var out: [String: any Sendable] = [
            "MediaSource": m.core.bus.describeStreams().count, "Reader": m.core.bus.readerList.count,
            "TcpSession": m.server.sessions().count, "Plugin": m.server.pluginDescriptions.count,
            "Command": m.core.commandList().count,
        ]
        for (name, count) in LiveObjects.snapshot() { out[name] = count }
        for (name, bytes) in HeapFigures.snapshot() { out[name] = bytes }
        return out
    }

    /// ZLMediaKit's rule: every key the server knows is applied, the others are skipped and reported
    /// (`ignored`), keys the API may not change or values that do not fit are reported too (`refused`, with
    /// the reasons in `msg`), and the call succeeds with ZLMediaKit's `changed` count. Only a call of which
    /// nothing could be applied because something was refused fails (-300), so a single bad key still says
    /// why. Values come in ZLMediaKit's forms (booleans 0/1, numbers as "10" or "10.0").
    static func apply(_ m: ManagementService, call: ApiCall, changes: [String: String], reply: @escaping ApiReply) {
        let keys = ServerConfigKeys(m)
        var plan: [(asked: String, name: String, type: String, value: String)] = []
        var ignored: [String] = []
        var refused: [(String, String)] = []
        for (asked, value) in changes.sorted(by: { $0.key < $1.key }) {
            switch keys.resolve(asked) {
            case .unknown: ignored.append(asked)
            case .refused(let why): refused.append((asked, why))
            case .settable(let name, let type):
                switch ServerConfigKeys.normalized(value, type: type) {
                case .failure(let e): refused.append((asked, "\(asked): \(e.message)"))
                case .success(let v): plan.append((asked, name, type, v))
                }
            }
        }
        let (planned, skipped, early) = (plan, ignored, refused)
        edits.async { applyNow(m, call: call, plan: planned, ignored: skipped, refused: early, reply: reply) }
    }

    private static let edits = DispatchQueue(label: "mediarouter.api.config-edits")

    /// Runs work that blocks (file writes, plugin loading, reloads) off the event loops.
    static func offLoop(_ body: @escaping @Sendable () -> Void) { DispatchQueue.global().async(execute: body) }

    /// Each key is written and the whole file validated before the next, so a key whose value the
    /// validation refuses is left out alone; the file is written and reloaded once.
    private static func applyNow(_ m: ManagementService, call: ApiCall, plan: [(asked: String, name: String, type: String, value: String)],
                                 ignored: [String], refused early: [(String, String)], reply: @escaping ApiReply) {
        var refused = early
        let path = m.server.configFile
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            return reply(.exception, ["msg": "cannot read \(path): \(error)"])
        }
        let before = flatConfig(m.server.config)
        var current = text
        var changed = 0
        var applied = 0
        for item in plan {
            do {
                let next = try ConfigFileEditor.set(current, name: item.name, value: item.value, type: item.type)
                if let error = m.server.validate(text: next, untrusted: true) {
                    refused.append((item.asked, "\(item.asked): \(error)"))
                    continue
                }
                current = next
                applied += 1
                // getServerConfig's form: booleans as 1/0.
                let shown = item.value == "true" ? "1" : item.value == "false" ? "0" : item.value
                if before[item.name] != shown { changed += 1 }
            } catch {
                refused.append((item.asked, "\(error)"))
            }
        }
        if applied == 0, !refused.isEmpty {
            return reply(.invalidArgs, ["msg": refused.map(\.1).joined(separator: "; "), "changed": 0,
                                        "ignored": ignored, "refused": refused.map(\.0)])
        }
        if current != text {
            do { try current.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                return reply(.exception, ["msg": "cannot write \(path): \(error)"])
            }
            if let error = m.server.reloadNow(reason: "setServerConfig from \(call.peer)") {
                return reply(.exception, ["msg": "\(error)"])
            }
        }
        if !ignored.isEmpty { m.logger.info("setServerConfig from \(call.peer): not settings of this server, skipped: \(ignored.joined(separator: ", "))") }
        if !refused.isEmpty { m.logger.notice("setServerConfig from \(call.peer): refused \(refused.map(\.1).joined(separator: "; "))") }
        var answer: [String: any Sendable] = ["changed": changed, "ignored": ignored, "refused": refused.map(\.0)]
        if !refused.isEmpty { answer["msg"] = refused.map(\.1).joined(separator: "; ") }
        reply(.success, answer)
    }

    /// `section.key` -> value text, for getServerConfig (the values in the file, then the core's defaults).
    static func flatConfig(_ c: ServerConfig) -> [String: String] {
        var out: [String: String] = [:]
        let d = c.document
        for (k, v) in d.server { out["server.\(k)"] = v.text }
        for (name, table) in d.plugins { for (k, v) in table { out["\(name).\(k)"] = v.text } }
        for (name, table) in d.core { for (k, v) in table { out["\(name).\(k)"] = v.text } }
        let defaults: [String: String] = [
            "server.threads": "\(c.settings.threads)", "server.play_wait_ms": "\(c.settings.bus.playWaitMs)",
            "server.reconnect_window_ms": "\(c.settings.bus.reconnectWindowMs)", "server.none_reader_ms": "\(c.settings.bus.noneReaderMs)",
            "server.merge_write_ms": "\(c.settings.bus.mergeWriteMs)",
            "server.coalesce_audio": c.settings.bus.coalesceAudio ? "1" : "0",
            "server.tcp_nodelay_while_streaming": c.settings.bus.nodelayWhileStreaming ? "1" : "0",
            "api.secret": c.api.secret, "api.media_server_id": c.api.mediaServerId, "api.loopback_exempt": "\(c.api.loopbackExempt)",
            "hook.enable": "\(c.hook.enable)", "hook.timeoutSec": "\(c.hook.timeoutSec)", "hook.alive_interval": "\(c.hook.aliveIntervalSec)",
            "hook.retry": "\(c.hook.retry)", "hook.retry_delay": "\(c.hook.retryDelaySec)",
        ]
        for (k, v) in defaults where out[k] == nil { out[k] = v }
        // Every hook ZLMediaKit has, set or not, as its getServerConfig lists them.
        for name in HookSettings.hookNames where out["hook.\(name)"] == nil { out["hook.\(name)"] = "" }
        // ZLMediaKit's ini holds booleans as 0 and 1; its clients read them so.
        return out.mapValues { $0 == "true" ? "1" : $0 == "false" ? "0" : $0 }
    }
}
