#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import NIOConcurrencyHelpers
import PluginABI
import Prometheus
import RouterCore

/// `/metrics` in Prometheus text format (swift-prometheus): read from the core at each scrape, so nothing
/// is counted twice and nothing costs anything between scrapes. Hooks add their own counters to `registry`.
final class MetricsExporter: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private unowned let m: ManagementService
    /// Label sets seen in earlier scrapes: a protocol with no reader left is reported as 0, not dropped.
    private let seen = NIOLockedValueBox<[String: Set<[String]>]>([:])

    init(_ m: ManagementService) { self.m = m }

    /// [control] Takes `/metrics` on the HTTP plugin's port.
    func register() {
        let host = m.host
        let rc = "/metrics".withCString { p in
            host.table.http_route_add(host.host, "GET", p, { user, _, ex in
                guard let user, let ex else { return Int32(MR_ERR_NOT_FOUND) }
                let me = Unmanaged<MetricsExporter>.fromOpaque(user).takeUnretainedValue()
                return me.m.host.respond(ex, status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: me.scrape())
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        if rc != MR_OK { m.logger.error("metrics: cannot add /metrics: \(host.lastError)") }
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
        registry.makeGauge(name: name, labels: labels, help: help).set(value)
        if !labels.isEmpty { seen.withLockedValue { $0[name, default: []].insert(labels.flatMap { [$0.0, $0.1] }) } }
    }

    /// Sets every labelled gauge of `name` not in `current` to 0.
    private func zeroMissing(_ name: String, _ help: String, current: Set<[String]>) {
        for labels in seen.withLockedValue({ $0[name] ?? [] }) where !current.contains(labels) {
            let pairs = stride(from: 0, to: labels.count - 1, by: 2).map { (labels[$0], labels[$0 + 1]) }
            registry.makeGauge(name: name, labels: pairs, help: help).set(Double(0))
        }
    }

    func scrape() -> [UInt8] {
        let bus = m.core.bus
        let streams = bus.describeStreams()
        gauge("mediarouter_streams", "streams on the bus", [], Double(streams.count))
        gauge("mediarouter_source_bytes_in", "bytes received by all current sources", [],
              Double(streams.reduce(Int64(0)) { $0 + ((($1["bytes_in"]) as? Int64) ?? 0) }))
        gauge("mediarouter_source_frames_in", "frames received by all current sources", [],
              Double(streams.reduce(Int64(0)) { $0 + ((($1["frames_in"]) as? Int64) ?? 0) }))

        let readers = bus.readerList
        var byProtocol: [String: Int] = [:]
        var skipped: Int64 = 0
        for r in readers where r.isOpen {
            byProtocol[r.protocolName, default: 0] += 1
            skipped += r.skippedFrames
        }
        let readersHelp = "players (bus readers) by protocol"
        for (p, n) in byProtocol { gauge("mediarouter_readers", readersHelp, [("protocol", p)], Double(n)) }
        zeroMissing("mediarouter_readers", readersHelp, current: Set(byProtocol.keys.map { ["protocol", $0] }))
        gauge("mediarouter_reader_skipped_frames", "frames current readers skipped to catch up (slow players)", [], Double(skipped))

        let sessionsHelp = "open TCP sessions by plugin"
        var sessions: [String: Int] = [:]
        for s in m.server.sessions() { sessions[s.plugin, default: 0] += 1 }
        for (p, n) in sessions { gauge("mediarouter_sessions", sessionsHelp, [("plugin", p)], Double(n)) }
        zeroMissing("mediarouter_sessions", sessionsHelp, current: Set(sessions.keys.map { ["plugin", $0] }))

        let runningHelp = "1 if the plugin runs, else 0"
        let statHelp = "a plugin's own counters and gauges (stat_add/stat_set), e.g. bytes in and out"
        var plugins: Set<[String]> = []
        var stats: Set<[String]> = []
        for p in m.server.pluginDescriptions {
            guard let name = p["name"] as? String else { continue }
            let state = p["state"] as? String ?? "unknown"
            gauge("mediarouter_plugin_running", runningHelp, [("plugin", name)], state == "running" ? 1 : 0)
            plugins.insert(["plugin", name])
            for (stat, value) in (p["stats"] as? [String: Int64]) ?? [:] {
                gauge("mediarouter_plugin_stat", statHelp, [("plugin", name), ("name", stat)], Double(value))
                stats.insert(["plugin", name, "name", stat])
            }
        }
        // A plugin removed from the config is not left reporting its last values.
        zeroMissing("mediarouter_plugin_running", runningHelp, current: plugins)
        zeroMissing("mediarouter_plugin_stat", statHelp, current: stats)
        for (i, lag) in m.loopLag.lagMs.enumerated() {
            gauge("mediarouter_event_loop_lag_seconds", "how late each event loop ran a queued task at the last sample",
                  [("loop", "\(i)")], lag / 1000)
        }
        gauge("mediarouter_uptime_seconds", "seconds since the management side started", [], Date().timeIntervalSince(m.startedAt))
        return registry.emitToBuffer()
    }
}
