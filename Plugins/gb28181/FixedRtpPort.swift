import Foundation
import MRPluginKit
import PluginABI
import RtpFormats

/// The fixed port (ZLMediaKit's rtp_proxy.port): RTP over UDP without an openRtpServer call, each SSRC a
/// stream of its own named `%08X` in app `rtp`, closed silently after the timeout. Confined to `loop`.
final class FixedRtpPort: @unchecked Sendable {
    private let host: PluginHost
    private weak var plugin: Gb28181Plugin?
    private let loop: Int32 = 0
    private var sock: OpaquePointer?
    private var streams: [UInt32: RtpServer] = [:]
    static let maxStreams = 1000

    init(host: PluginHost, plugin: Gb28181Plugin) {
        self.host = host
        self.plugin = plugin
    }

    /// [control]
    func bind(address: String, port: Int) -> Bool {
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        options.port = UInt16(clamping: port)
        options.loop = loop
        options.recv_buffer = 4 << 20
        var cbs = mr_udp_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_udp_callbacks>.size)
        cbs.on_datagram = { user, _, data, len, from, fromLen in
            guard let user, let data, let from else { return }
            Unmanaged<FixedRtpPort>.fromOpaque(user).takeUnretainedValue()
                .datagram(UnsafeBufferPointer(start: data, count: len), UdpPeer(from, fromLen))
        }
        cbs.on_close = { user, _, _, _ in
            guard let user else { return }
            Unmanaged<FixedRtpPort>.fromOpaque(user).release()
        }
        let user = Unmanaged.passRetained(self).toOpaque()
        var out: OpaquePointer?
        let rc = address.withCString { a in
            options.bind_address = a
            return host.table.udp_bind(host.host, &options, &cbs, user, &out)
        }
        guard rc == MR_OK, let out else {
            Unmanaged<FixedRtpPort>.fromOpaque(user).release()
            host.log(MR_LOG_ERROR, "cannot bind the RTP port \(address):\(port): \(host.lastError)")
            return false
        }
        sock = out
        return true
    }

    private func datagram(_ data: UnsafeBufferPointer<UInt8>, _ from: UdpPeer?) {
        guard let plugin, data.count >= 12, !RtpPacket.isRtcp(Array(data.prefix(2))[...]) else { return }
        let ssrc = UInt32(data[8]) << 24 | UInt32(data[9]) << 16 | UInt32(data[10]) << 8 | UInt32(data[11])
        if streams[ssrc] == nil {
            guard streams.count < Self.maxStreams else { return }
            let spec = RtpServerSpec(app: "rtp", streamId: String(format: "%08X", ssrc), tcpMode: .udp, reusePort: false, only: .both,
                                     postsTimeout: false)
            let s = RtpServer(host: host, plugin: plugin, spec: spec, ssrc: ssrc, loop: loop)
            s.onClose = { [weak self] in self?.streams[ssrc] = nil }
            streams[ssrc] = s
            s.startTimer()
        }
        streams[ssrc]?.datagram(data, from)
    }

    /// [control]
    func close() {
        host.onLoop(loop) { [self] in
            for s in streams.values { s.close() }
            if let sock { host.table.udp_close(sock) }
            sock = nil
        }
    }
}
