#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MRPluginKit
import PluginABI

/// Entry point of the gb28181 plugin: ZLMediaKit's RTP proxy (RTP servers fed PS, TS or ES over UDP or TCP)
/// with the REST and hook contract wvp-GB28181-pro drives.
@_cdecl("mr_plugin_entry_v1")
public func mrPluginEntryV1() -> UnsafePointer<mr_plugin_descriptor> { descriptor }

// Hooks name an RTP publisher with schema rtsp: wvp acts on on_stream_changed only for schema=rtsp, and
// ZLMediaKit registers an RTP stream under its RTSP muxer first.
nonisolated(unsafe) private let descriptor = DescriptorBuilder.make(
    name: "gb28181", version: "0.1.0",
    description: "GB28181 RTP proxy: RTP servers receiving PS/TS/ES over UDP, TCP passive and TCP active (openRtpServer, openRtpServerMultiplex & co.), and RTP senders (startSendRtp, startSendRtpTalk & co.)",
    configKeys: [
        ("bind", MR_CONFIG_STRING, "address of the RTP ports (default 0.0.0.0; openRtpServer's local_ip overrides it)"),
        ("port", MR_CONFIG_INT, "the fixed RTP port: RTP over UDP without openRtpServer, one stream per SSRC named %08X in app rtp (default 10000; 0 = none)"),
        ("port_range", MR_CONFIG_STRING, "ports openRtpServer picks from when asked for port 0 (default \"30000-35000\")"),
        ("timeout_sec", MR_CONFIG_INT, "an RTP server that receives nothing for this long closes, and a TCP platform that reads nothing for this long is dropped (default 15)"),
        ("udp_read_interval_ms", MR_CONFIG_INT, "UDP RTP servers read a camera's datagrams every this many ms, with the loop's other cameras, instead of waking on each one (default 20, 0-100; 0 = on arrival): less CPU per camera, up to this much latency"),
    ],
    serves: #"""
    {"sources": [{"protocol": "rtp", "schema": "rtsp", "origin_type": 3, "origin_type_str": "rtp_push"}],
     "sessions": true,
     "config_aliases": [{"name": "rtp_proxy.port", "key": "port", "default": "10000"},
                        {"name": "rtp_proxy.port_range", "key": "port_range", "default": "30000-35000"},
                        {"name": "rtp_proxy.timeoutSec", "key": "timeout_sec", "default": "15"}]}
    """#,
    create: { Gb28181Plugin($0) })

final class Gb28181Plugin: PluginLifecycle, @unchecked Sendable {
    let host: PluginHost
    private let currentSettings = LockedValue(Gb28181Settings())
    var settings: Gb28181Settings { currentSettings.withLock { $0 } }
    let registry = RtpServerRegistry()
    let senders = RtpSenderRegistry()
    let publishing = RtpPublishers()
    /// Control thread only.
    /// The fixed port (ZLMediaKit's rtp_proxy.port): a multiplexing RTP server in app `rtp` that needs no
    /// openRtpServer call.
    private var fixed: RtpServer?
    private var fixedKey = ""

    init(_ host: PluginHost) { self.host = host }

    func start() -> Int32 {
        let s = Gb28181Settings(host)
        currentSettings.withLock { $0 = s }
        if s.fixedPort > 0 {
            var spec = RtpServerSpec(app: "rtp", streamId: "", tcpMode: .udp, reusePort: false, only: .both, postsTimeout: false)
            spec.multiplex = true
            spec.localIp = s.bind
            let f = RtpServer(host: host, plugin: self, spec: spec, ssrc: 0, loop: 0)
            guard f.bind(port: UInt16(clamping: s.fixedPort)) else {
                host.log(MR_LOG_ERROR, "cannot bind the RTP port \(s.bind):\(s.fixedPort): \(host.lastError)")
                return Int32(MR_ERR_IO)
            }
            fixed = f
        }
        fixedKey = "\(s.bind):\(s.fixedPort)"
        RtpServerApi(plugin: self).register()
        RtpSenderApi(plugin: self).register()
        Gb28181SessionCommands.offer(self)
        host.log(MR_LOG_INFO, "RTP on UDP \(s.bind):\(s.fixedPort); RTP servers from \(s.portRange)")
        return Int32(MR_OK)
    }

    func reconfigure() -> Int32 {
        let s = Gb28181Settings(host)
        guard "\(s.bind):\(s.fixedPort)" == fixedKey else { return Int32(MR_RESTART) }
        currentSettings.withLock { $0 = s }
        return Int32(MR_OK)
    }

    func stop() {
        fixed?.close()
        fixed = nil
        for s in registry.removeAll() { s.close() }
        for s in senders.removeAll() { s.stop() }
    }

    /// on_send_rtp_stopped with ZLMediaKit's fields (wvp acts on it for app=rtp only).
    func postSendStopped(_ s: RtpSender, reason: String) {
        let body: [String: Any] = [
            "vhost": s.spec.vhost, "app": s.spec.app, "stream": s.spec.stream, "ssrc": s.spec.ssrc, "msg": reason, "err": -1,
        ]
        host.callCommand("hook.post", ["hook": "on_send_rtp_stopped", "body": body], loop: s.loop) { _, _ in }
    }

    /// on_rtp_server_timeout with the fields wvp reads (the core adds mediaServerId).
    func postTimeout(_ s: RtpServer) {
        let body: [String: Any] = [
            "local_port": Int(s.port), "stream_id": s.spec.streamId, "tcpMode": s.spec.tcpMode.rawValue,
            "re_use_port": s.spec.reusePort, "ssrc": Int(s.ssrc.load(ordering: .acquiring)), "vhost": "__defaultVhost__", "app": s.spec.app,
        ]
        host.callCommand("hook.post", ["hook": "on_rtp_server_timeout", "body": body], loop: s.loop) { _, _ in }
    }
}

/// The open RTP servers by app/stream_id, read and changed from the API's threads and the loops.
final class RtpServerRegistry: Sendable {
    private let servers = LockedValue<[String: RtpServer]>([:])
    private let cursor = LockedValue(0)

    static func key(_ app: String, _ stream: String) -> String { "\(app)/\(stream)" }

    func get(_ app: String, _ stream: String) -> RtpServer? { servers.withLock { $0[Self.key(app, stream)] } }

    /// False when the name is taken.
    func add(_ s: RtpServer) -> Bool {
        servers.withLock { all in
            let k = Self.key(s.spec.app, s.spec.streamId)
            guard all[k] == nil else { return false }
            all[k] = s
            return true
        }
    }

    func remove(_ s: RtpServer) {
        servers.withLock { all in
            let k = Self.key(s.spec.app, s.spec.streamId)
            if all[k] === s { all[k] = nil }
        }
    }

    func removeAll() -> [RtpServer] { servers.withLock { all in defer { all = [:] }; return Array(all.values) } }

    var all: [RtpServer] { servers.withLock { Array($0.values) } }

    /// The next candidate port of the range, round-robin, so a port just closed is not handed out again at once.
    func nextPort(in range: ClosedRange<Int>) -> Int {
        cursor.withLock { c in
            let p = range.lowerBound + c % range.count
            c = (c + 1) % range.count
            return p
        }
    }
}
