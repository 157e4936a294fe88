#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import PluginABI

/// ZLMediaKit's RTP sending endpoints as wvp-GB28181-pro calls them for cascade and playback:
/// startSendRtp, startSendRtpPassive, startSendRtpTalk, stopSendRtp, listRtpSender.
struct RtpSenderApi {
    let plugin: Gb28181Plugin
    var host: PluginHost { plugin.host }

    func register() {
        ApiEndpoint.register(host, name: "startSendRtp") { r, reply in start(r, passive: false, reply) }
        ApiEndpoint.register(host, name: "startSendRtpPassive") { r, reply in start(r, passive: true, reply) }
        ApiEndpoint.register(host, name: "startSendRtpTalk") { r, reply in talk(r, reply) }
        ApiEndpoint.register(host, name: "stopSendRtp") { r, reply in
            guard let app = r.string("app"), let stream = r.string("stream") else { return reply(.invalidArgs, ["msg": "app and stream are required"]) }
            let vhost = r.string("vhost") ?? "__defaultVhost__"
            let ssrc = r.string("ssrc").flatMap { $0.isEmpty ? nil : $0 }
            let hit = plugin.senders.all.filter { s in
                s.spec.vhost == vhost && s.spec.app == app && s.spec.stream == stream && (ssrc == nil || s.spec.ssrc == ssrc)
            }
            guard !hit.isEmpty else { return reply(.other, ["msg": "stopSendRtp failed: no such sender"]) }
            for s in hit {
                plugin.senders.remove(s)
                s.stop()
            }
            reply(.success, [:])
        }
        ApiEndpoint.register(host, name: "listRtpSender") { r, reply in
            let vhost = r.string("vhost") ?? "__defaultVhost__"
            let list = plugin.senders.all.filter { s in
                s.spec.vhost == vhost && r.string("app").map { $0 == s.spec.app } ?? true && r.string("stream").map { $0 == s.spec.stream } ?? true
            }.sorted { $0.spec.key < $1.spec.key }
            // ZLMediaKit answers the stream's SSRCs; the details beside them are ours.
            let details: [[String: Any]] = list.map { s in
                let st = s.stats.withLock { $0 }
                return ["vhost": s.spec.vhost, "app": s.spec.app, "stream": s.spec.stream, "ssrc": s.spec.ssrc,
                        "dst_url": s.spec.dstHost, "dst_port": Int(s.spec.dstPort), "is_udp": s.spec.udp, "type": s.spec.kind.rawValue,
                        "local_port": Int(s.localPort.withLock { $0 }), "packets": st.packets, "bytes": st.bytes,
                        "dropped_frames": st.dropped]
            }
            reply(.success, ["data": list.map(\.spec.ssrc), "senders": details])
        }
    }

    private func flag(_ r: ApiRequest, _ name: String) -> Bool? {
        r.string(name).map { $0 == "1" || $0.lowercased() == "true" }
    }

    /// startSendRtpTalk (two-way audio, GB28181 broadcast): the stream sent back to the device of the RTP server
    /// `recv_stream_id` of the same app, over that server's socket, to the address (or TCP connection) its RTP
    /// comes from. ZLMediaKit's parameters: vhost, app, stream, ssrc, recv_stream_id; pt (96), type (PS),
    /// only_audio. Answers the server's port as local_port.
    private func talk(_ r: ApiRequest, _ reply: @escaping (ApiCode, [String: Any]) -> Void) {
        guard let app = r.string("app"), let stream = r.string("stream"), let ssrc = r.string("ssrc"), let recv = r.string("recv_stream_id") else {
            return reply(.invalidArgs, ["msg": "vhost, app, stream, ssrc and recv_stream_id are required"])
        }
        guard let ssrcValue = UInt32(ssrc) else { return reply(.invalidArgs, ["msg": "ssrc must be a decimal 32-bit number"]) }
        let pt = r.int("pt") ?? 96
        guard (0...127).contains(pt) else { return reply(.invalidArgs, ["msg": "pt must be 0-127"]) }
        guard let kind = RtpSendPayload.Kind(rawValue: r.int("type") ?? 1) else { return reply(.invalidArgs, ["msg": "type must be 0 (ES), 1 (PS) or 2 (TS)"]) }
        guard let server = plugin.registry.get(app, recv) else { return reply(.notFound, ["msg": "can not find the rtp server \(app)/\(recv)"]) }
        let device = server.info.withLock { $0 }
        var spec = RtpSenderSpec(vhost: r.string("vhost") ?? "__defaultVhost__", app: app, stream: stream, ssrc: ssrc, ssrcValue: ssrcValue,
                                 dstHost: device.peerIp, dstPort: UInt16(clamping: device.peerPort), udp: server.spec.tcpMode == .udp,
                                 payloadType: UInt8(pt), kind: kind, onlyAudio: flag(r, "only_audio") ?? false, rtcpTimeoutUs: 0)
        spec.talkStream = recv
        if let old = plugin.senders.get(spec.key) {
            plugin.senders.remove(old)
            old.stop()
        }
        let s = RtpSender(host: host, plugin: plugin, spec: spec, loop: Int32(abs(stream.hashValue) % max(1, host.loopCount)))
        s.talk = server
        s.localPort.withLock { $0 = server.port }
        s.onStarted = { [host] error in
            if let error { return reply(.notFound, ["msg": error]) }
            host.log(MR_LOG_INFO, "\(s.label): started over port \(server.port)")
            reply(.success, ["local_port": Int(server.port)])
        }
        guard plugin.senders.add(s) else { return reply(.other, ["msg": "a sender with ssrc \(ssrc) is starting"]) }
        host.onLoop(s.loop) { s.startReading() }
    }

    /// startSendRtp, or startSendRtpPassive (TCP only: listen on the local port, send to whoever connects first).
    private func start(_ r: ApiRequest, passive: Bool, _ reply: @escaping (ApiCode, [String: Any]) -> Void) {
        guard let app = r.string("app"), let stream = r.string("stream"), let ssrc = r.string("ssrc"),
              let dst = r.string("dst_url") ?? (passive ? "" : nil) else {
            return reply(.invalidArgs, ["msg": "app, stream, ssrc, dst_url and dst_port are required"])
        }
        guard let ssrcValue = UInt32(ssrc) else { return reply(.invalidArgs, ["msg": "ssrc must be a decimal 32-bit number"]) }
        guard let dstPort = r.int("dst_port") ?? (passive ? 0 : nil), (passive ? 0 : 1)...65535 ~= dstPort else {
            return reply(.invalidArgs, ["msg": "dst_port out of range"])
        }
        let srcPort = r.int("src_port") ?? 0
        guard (0...65535).contains(srcPort) else { return reply(.invalidArgs, ["msg": "src_port out of range"]) }
        let pt = r.int("pt") ?? 96
        guard (0...127).contains(pt) else { return reply(.invalidArgs, ["msg": "pt must be 0-127"]) }
        // `type` is ZLMediaKit's newer name; `use_ps` (0/1) the older one wvp still sends.
        let kindValue = r.int("type") ?? r.int("use_ps") ?? 1
        guard let kind = RtpSendPayload.Kind(rawValue: kindValue) else { return reply(.invalidArgs, ["msg": "type must be 0 (ES), 1 (PS) or 2 (TS)"]) }
        let udp = !passive && (flag(r, "is_udp") ?? true)
        if udp, UdpPeer(ip: dst, port: UInt16(dstPort)) == nil {
            return reply(.invalidArgs, ["msg": "dst_url must be an IP address for UDP"])
        }
        // ZLMediaKit's passive sender waits close_delay_ms (0 or absent: 5 s) for the platform to connect.
        let closeDelay = r.int("close_delay_ms") ?? 0
        guard closeDelay >= 0 else { return reply(.invalidArgs, ["msg": "close_delay_ms must not be negative"]) }
        var draft = RtpSenderSpec(vhost: r.string("vhost") ?? "__defaultVhost__", app: app, stream: stream, ssrc: ssrc, ssrcValue: ssrcValue,
                                  dstHost: dst, dstPort: UInt16(dstPort), udp: udp, payloadType: UInt8(pt), kind: kind,
                                  onlyAudio: flag(r, "only_audio") ?? false,
                                  rtcpTimeoutUs: udp && flag(r, "udp_rtcp_timeout") == true ? Int64(plugin.settings.timeoutSec) * 1_000_000 : 0)
        if passive { draft.connectWaitMs = closeDelay > 0 ? Int64(closeDelay) : 5000 }
        let spec = draft
        // ZLMediaKit restarts a sender started again with the same SSRC.
        if let old = plugin.senders.get(spec.key) {
            plugin.senders.remove(old)
            old.stop()
        }
        let settings = plugin.settings
        let loop = Int32(abs(stream.hashValue) % max(1, host.loopCount))
        let plugin = self.plugin
        let host = self.host
        host.onWorker {
            let s = RtpSender(host: host, plugin: plugin, spec: spec, loop: loop)
            // Registered once its sockets are set, so that a stopSendRtp from another thread finds them in place.
            let register = { () -> Bool in
                guard plugin.senders.add(s) else {
                    s.onStarted = nil   // answered here
                    s.stop()
                    reply(.other, ["msg": "a sender with ssrc \(ssrc) is starting"])
                    return false
                }
                return true
            }
            if passive {
                guard PortBinding.bind(requested: srcPort, range: settings.portRange, registry: plugin.registry, {
                    s.listen(port: $0, address: settings.bind)
                }) else {
                    return reply(.other, ["msg": "cannot listen on a local port"])
                }
                guard register() else { return }
                host.onLoop(loop) { s.startConnectWait() }
                host.log(MR_LOG_INFO, "\(s.label): waiting \(spec.connectWaitMs) ms on port \(s.localPort.withLock { $0 })")
                return reply(.success, ["local_port": Int(s.localPort.withLock { $0 })])
            }
            if udp {
                guard PortBinding.bind(requested: srcPort, range: settings.portRange, registry: plugin.registry, {
                    s.bindUdp(port: $0, address: settings.bind, pairRequired: srcPort == 0)
                }) else {
                    return reply(.other, ["msg": "cannot bind the local port (\(srcPort == 0 ? "range \(settings.portRange) exhausted" : "port \(srcPort) in use"))"])
                }
                s.onStarted = { error in
                    if let error { return reply(.notFound, ["msg": error]) }
                    host.log(MR_LOG_INFO, "\(s.label): started from port \(s.localPort.withLock { $0 })")
                    reply(.success, ["local_port": Int(s.localPort.withLock { $0 })])
                }
                guard register() else { return }
                host.onLoop(loop) { s.startReading() }
                return
            }
            let port = srcPort != 0 ? UInt16(srcPort) : UInt16(plugin.registry.nextPort(in: settings.portRange))
            if srcPort == 0 { s.redial = (settings.portRange, min(settings.portRange.count, 2000) - 1) }
            s.onStarted = { error in
                if let error { return reply(.other, ["msg": error]) }
                let local = s.localPort.withLock { $0 }
                host.log(MR_LOG_INFO, "\(s.label): connected from port \(local)")
                reply(.success, ["local_port": Int(local)])
            }
            guard register() else { return }
            host.onLoop(loop) {
                guard s.connect(from: port) else {
                    plugin.senders.remove(s)
                    s.onStarted?(host.lastError)
                    s.onStarted = nil
                    return
                }
            }
        }
    }
}

/// The running senders by vhost/app/stream/ssrc, read and changed from the API's threads and the loops.
final class RtpSenderRegistry: Sendable {
    private let senders = LockedValue<[String: RtpSender]>([:])

    func get(_ key: String) -> RtpSender? { senders.withLock { $0[key] } }

    /// False when the key is taken.
    func add(_ s: RtpSender) -> Bool {
        senders.withLock { all in
            guard all[s.spec.key] == nil else { return false }
            all[s.spec.key] = s
            return true
        }
    }

    func remove(_ s: RtpSender) {
        senders.withLock { all in
            if all[s.spec.key] === s { all[s.spec.key] = nil }
        }
    }

    func removeAll() -> [RtpSender] { senders.withLock { all in defer { all = [:] }; return Array(all.values) } }

    var all: [RtpSender] { senders.withLock { Array($0.values) } }
}
