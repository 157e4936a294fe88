#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import PluginABI

/// ZLMediaKit's RTP proxy endpoints as wvp-GB28181-pro calls them (form POSTs, secret checked by the core):
/// openRtpServer, closeRtpServer, listRtpServer, getRtpInfo, updateRtpServerSSRC, pauseRtpCheck,
/// resumeRtpCheck, connectRtpServer, openRtpServerMultiplex.
struct RtpServerApi {
    let plugin: Gb28181Plugin
    var host: PluginHost { plugin.host }
    /// ZLMediaKit holds a paused check at most this long.
    static let maxPauseUs: Int64 = 300_000_000

    func register() {
        ApiEndpoint.register(host, name: "openRtpServer") { r, reply in open(r, multiplex: false, reply) }
        // ZLMediaKit's form: `port` and `stream_id` required, no SSRC filter; stream_id names the port (for
        // closeRtpServer and listRtpServer) and each SSRC arriving on it is a stream named `%08X` in `app`.
        ApiEndpoint.register(host, name: "openRtpServerMultiplex") { r, reply in
            guard r.int("port") != nil else { return reply(.invalidArgs, ["msg": "port is required"]) }
            open(r, multiplex: true, reply)
        }
        ApiEndpoint.register(host, name: "closeRtpServer") { r, reply in
            guard let s = server(r) else { return reply(.success, ["hit": 0]) }
            plugin.registry.remove(s)
            s.close()
            reply(.success, ["hit": 1])
        }
        ApiEndpoint.register(host, name: "listRtpServer") { _, reply in
            let data: [[String: Any]] = plugin.registry.all.sorted { $0.port < $1.port }.map { s in
                ["port": Int(s.port), "stream_id": s.spec.streamId, "app": s.spec.app, "vhost": "__defaultVhost__",
                 "tcp_mode": s.spec.tcpMode.rawValue, "ssrc": Int(s.ssrc.load(ordering: .acquiring)), "only_track": s.spec.only.rawValue,
                 "multiplex": s.spec.multiplex]
            }
            reply(.success, ["data": data])
        }
        ApiEndpoint.register(host, name: "getRtpInfo") { r, reply in
            guard let s = server(r) else { return reply(.success, ["exist": false]) }
            let i = s.info.withLock { $0 }
            reply(.success, ["exist": true, "local_port": Int(s.port), "local_ip": i.localIp, "peer_ip": i.peerIp,
                             "peer_port": i.peerPort, "app": s.spec.app, "stream_id": s.spec.streamId, "tcp_mode": s.spec.tcpMode.rawValue,
                             "packets": i.packets, "bytes": i.bytes, "lost": i.lost, "reordered": i.reordered,
                             "dropped_ssrc": i.droppedSsrc, "dropped_peer": i.droppedPeer])
        }
        ApiEndpoint.register(host, name: "updateRtpServerSSRC") { r, reply in
            guard let s = server(r) else { return reply(.notFound, ["msg": "rtp server not found"]) }
            guard let ssrc = r.string("ssrc").flatMap({ UInt32($0) }) else { return reply(.invalidArgs, ["msg": "ssrc must be a decimal 32-bit number"]) }
            s.ssrc.store(ssrc, ordering: .releasing)
            reply(.success, [:])
        }
        ApiEndpoint.register(host, name: "pauseRtpCheck") { r, reply in
            guard let s = server(r) else { return reply(.notFound, ["msg": "rtp server not found"]) }
            let until = host.table.now_us() + Self.maxPauseUs
            s.pausedUntilUs.withLock { $0 = until }
            reply(.success, [:])
        }
        ApiEndpoint.register(host, name: "resumeRtpCheck") { r, reply in
            guard let s = server(r) else { return reply(.notFound, ["msg": "rtp server not found"]) }
            s.pausedUntilUs.withLock { $0 = 0 }
            reply(.success, [:])
        }
        ApiEndpoint.register(host, name: "connectRtpServer") { r, reply in connect(r, reply) }
    }

    private func server(_ r: ApiRequest) -> RtpServer? {
        guard let stream = r.string("stream_id") else { return nil }
        return plugin.registry.get(r.string("app") ?? "rtp", stream)
    }

    private func open(_ r: ApiRequest, multiplex: Bool, _ reply: @escaping (ApiCode, [String: Any]) -> Void) {
        guard let stream = r.string("stream_id"), stream.count < 256, !stream.contains("/") else {
            return reply(.invalidArgs, ["msg": "stream_id is required"])
        }
        guard let mode = RtpServerSpec.TcpMode(rawValue: r.int("tcp_mode") ?? (r.int("enable_tcp") ?? 0)) else {
            return reply(.invalidArgs, ["msg": "tcp_mode must be 0 (UDP), 1 (TCP passive) or 2 (TCP active)"])
        }
        let ssrcText = multiplex ? "0" : r.string("ssrc") ?? "0"
        guard let ssrc = UInt32(ssrcText) else { return reply(.invalidArgs, ["msg": "ssrc must be a decimal 32-bit number"]) }
        let requested = r.int("port") ?? 0
        guard (0...65535).contains(requested) else { return reply(.invalidArgs, ["msg": "port out of range"]) }
        var only = RtpPayloadIngest.OnlyTrack(rawValue: r.int("only_track") ?? 0) ?? .both
        if r.string("only_audio") == "1" || r.string("only_audio") == "true" { only = .audio }
        let app = r.string("app") ?? "rtp"
        // A multiplexing port is shared by design (ZLMediaKit opens it with re_use_port on).
        let reuse = multiplex || r.string("re_use_port") == "1" || r.string("re_use_port") == "true"
        guard plugin.registry.get(app, stream) == nil else { return reply(.invalidArgs, ["msg": "stream_id \(stream) already exists"]) }
        let settings = plugin.settings
        var spec = RtpServerSpec(app: app, streamId: stream, tcpMode: mode, reusePort: reuse, only: only, postsTimeout: !multiplex)
        spec.multiplex = multiplex
        spec.localIp = r.string("local_ip").flatMap { $0.isEmpty ? nil : $0 } ?? settings.bind
        let loop = Int32(abs(stream.hashValue) % max(1, host.loopCount))
        // Binding blocks until done, which the API's loop must not: a worker does it.
        let plugin = self.plugin
        let host = self.host
        host.onWorker {
            let s = RtpServer(host: host, plugin: plugin, spec: spec, ssrc: ssrc, loop: loop)
            let bound = PortBinding.bind(requested: requested, range: settings.portRange, registry: plugin.registry) {
                s.bind(port: $0)
            }
            guard bound else {
                let why = requested == 0 ? "range \(settings.portRange) exhausted"
                    : "port \(requested) in use\(reuse ? "" : "; servers share a port only when each opens it with re_use_port=1")"
                return reply(.other, ["msg": "cannot bind a port (\(why))"])
            }
            guard plugin.registry.add(s) else {
                s.close()
                return reply(.invalidArgs, ["msg": "stream_id \(stream) already exists"])
            }
            s.startTimer()
            host.log(MR_LOG_INFO, "\(s.label): opened (\(mode), ssrc \(ssrc))")
            reply(.success, ["port": Int(s.port)])
        }
    }

    /// TCP active: dial the device from the server's port (its listener has SO_REUSEPORT).
    private func connect(_ r: ApiRequest, _ reply: @escaping (ApiCode, [String: Any]) -> Void) {
        guard let s = server(r) else { return reply(.notFound, ["msg": "rtp server not found"]) }
        guard let dst = r.string("dst_url"), let port = r.int("dst_port"), (1...65535).contains(port) else {
            return reply(.invalidArgs, ["msg": "dst_url and dst_port are required"])
        }
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = UInt16(port)
        options.loop = s.loop
        options.local_port = s.spec.tcpMode == .udp ? 0 : s.port
        var cbs = ConnectionBridge.callbacks()
        let rc = dst.withCString { h in
            options.host = h
            return host.table.tcp_connect(host.host, &options, &cbs, ConnectionBridge.user(for: s))
        }
        guard rc == MR_OK else { return reply(.other, ["msg": "connect failed: \(host.lastError)"]) }
        reply(.success, [:])
    }
}

extension RtpServerSpec.TcpMode: CustomStringConvertible {
    var description: String { ["UDP", "TCP passive", "TCP active"][rawValue] }
}
