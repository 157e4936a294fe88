import MRPluginKit
import PluginABI
import WebRtcProtocol

/// The plugin: one UDP port bound on every loop, the WHEP routes, the session table.
final class WebrtcPlugin: PluginLifecycle, PluginStatusReporting, RingMuxerFactory {
    let host: PluginHost
    /// Set by start on control, read by every loop's datagram callback.
    private let running = LockedValue<WebrtcContext?>(nil)
    private var context: WebrtcContext? { running.withLock { $0 } }

    init(_ host: PluginHost) { self.host = host }

    func start() -> Int32 {
        let (settings, problems) = WebrtcSettings.read(host)
        problems.forEach { host.log(MR_LOG_ERROR, $0) }
        guard let certificate = DtlsCertificate() else {
            host.log(MR_LOG_ERROR, "cannot make the DTLS certificate")
            return Int32(MR_ERR)
        }
        var cbs = mr_udp_callbacks()
        cbs.on_datagram = { user, sock, data, len, from, fromLength in
            guard let plugin = PluginBox.borrow(user, as: WebrtcPlugin.self), let data, len > 0 else { return }
            plugin.context?.route(UnsafeBufferPointer(start: data, count: len), from: from, fromLength)
        }
        guard let sockets = host.bindUdpGroup(address: settings.bind, port: UInt16(settings.port), recvBuffer: 4 << 20,
                                              callbacks: cbs, user: PluginBox.unretained(self)) else {
            host.log(MR_LOG_ERROR, "cannot bind \(settings.bind):\(settings.port)/udp on every loop: \(host.lastError)")
            return Int32(MR_ERR_IO)
        }
        let c = WebrtcContext(host: host, settings: settings, certificate: certificate, sockets: sockets, ringMuxers: self)
        running.withLock { $0 = c }
        guard WebrtcSignalling(context: c).addRoutes() else { return Int32(MR_ERR) }
        WebrtcSessionCommands.offer(host) { [running] in running.withLock { $0 } }
        host.log(MR_LOG_INFO, "listening on \(settings.bind):\(settings.port)/udp on \(sockets.count) loops, candidates "
                 + settings.candidates.map(\.description).joined(separator: ", "))
        return Int32(MR_OK)
    }

    func reconfigure() -> Int32 { Int32(MR_RESTART) }

    func stop() {
        guard let c = context else { return }
        for p in c.table.all {
            host.onLoop(p.loop) { p.close("server stopping") }
        }
        // The host closes the sockets.
        running.withLock { $0 = nil }
    }

    /// The "webrtc.rtp" ring of a source, made when its first WHEP player opens it.
    func makeMuxer(for ring: OpaquePointer) -> RingMuxer? {
        WebrtcRingMuxer(host: host, ring: ring, bframeFilter: context?.settings.bframeFilter ?? true)
    }

    var statusLine: String {
        guard let c = context else { return "stopped" }
        return "udp \(c.settings.port): \(c.table.count) sessions"
    }
}
