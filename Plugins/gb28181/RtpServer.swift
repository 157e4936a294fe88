#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import MRPluginKit
import PluginABI
import RtpFormats
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What openRtpServer asked for; immutable once opened.
struct RtpServerSpec {
    enum TcpMode: Int { case udp = 0, passive = 1, active = 2 }
    let app: String
    let streamId: String
    let tcpMode: TcpMode
    let reusePort: Bool
    let only: RtpPayloadIngest.OnlyTrack
    /// Closed with on_rtp_server_timeout (the fixed port's streams close silently).
    let postsTimeout: Bool
    /// openRtpServerMultiplex and the fixed port: one port, each SSRC a stream of its own named `%08X` in
    /// `app`; the server itself never times out, its streams close silently when their RTP stops.
    var multiplex = false
    /// The address bound (openRtpServer's local_ip, else [gb28181] bind).
    var localIp = "0.0.0.0"
}

/// What getRtpInfo and listRtpServer read from the API's threads.
struct RtpServerInfo {
    var peerIp = ""
    var peerPort = 0
    /// The SSRC of the packets taken.
    var ssrc: UInt32 = 0
    var localIp = "0.0.0.0"
    var packets = 0
    var bytes = 0
    /// UDP: packets never received (their gap given up by the reorder buffer) and put back in order.
    var lost = 0
    var reordered = 0
    var droppedSsrc = 0
    var droppedPeer = 0
}

/// One RTP server (ZLMediaKit's RtpServer): a UDP port or a TCP port, its first peer, its SSRC filter, its
/// bus source and its no-data timeout. Packets arrive and everything but `info`/`ssrc`/`paused` is touched
/// on `loop` only.
final class RtpServer: @unchecked Sendable {
    let spec: RtpServerSpec
    let loop: Int32
    private(set) var port: UInt16 = 0
    private let host: PluginHost
    private weak var plugin: Gb28181Plugin?
    let info = LockedValue(RtpServerInfo())
    /// Its id among gb28181's sessions (getAllSession).
    let sessionId = RtpPublishers.nextId()
    /// 0 = any; updateRtpServerSSRC changes it from an API thread. An atomic, not a lock: every packet reads it.
    let ssrc = Atomic<UInt32>(0)
    /// pauseRtpCheck: until this monotonic time (µs) the timeout does not fire.
    let pausedUntilUs = LockedValue<Int64>(0)

    var udp: OpaquePointer?
    var listener: OpaquePointer?
    private var peer: UdpPeer?
    private var conn: OpaquePointer?
    /// The loop the TCP peer's connection lives on (sends back go there), and the handle (as bits) while it is
    /// open: cleared on that loop in on_close, so a send hopping there never touches a dead handle.
    private var connLoop: Int32 = 0
    private let liveConn = LockedValue<UInt>(0)
    private var batch = UdpBatchBuilder()
    /// Set once closed, for a talk sender reading it from its own loop.
    let isClosed = LockedValue(false)
    private var source: OpaquePointer?
    private var ingest: RtpPayloadIngest?
    /// UDP only (TCP arrives in order): a reorder buffer per SSRC and payload type, as an ES device numbers
    /// its audio and video RTP apart.
    private var reorder: [UInt64: RtpJitterBuffer] = [:]
    static let maxReorderStreams = 8
    private var lastPacketUs: Int64
    private var timer: OpaquePointer?
    private var closed = false
    /// Runs on the loop when the server closes (a multiplexing server forgets its SSRC).
    var onClose: (() -> Void)?
    /// Multiplexing: the stream of each SSRC, and the TCP peers (any number) feeding them.
    private var streams: [UInt32: RtpServer] = [:]
    private var peers: Set<OpaquePointer> = []
    static let maxMultiplexStreams = 1000
    private var warnedPeer = false, warnedSsrc = false
    /// The last datagram's bytes, reused for the next one once the packet is through (a reordered packet the
    /// jitter buffer holds keeps its own copy: the array is no longer unique, so the next append makes another).
    private var scratch: [UInt8] = []

    init(host: PluginHost, plugin: Gb28181Plugin, spec: RtpServerSpec, ssrc: UInt32, loop: Int32) {
        self.host = host
        self.plugin = plugin
        self.spec = spec
        self.loop = loop
        self.ssrc.store(ssrc, ordering: .releasing)
        lastPacketUs = host.table.now_us()
    }

    var label: String { "rtp server \(spec.app)/\(spec.streamId) port \(port)" }

    // MARK: binding ([control] or a worker)

    /// Binds the port (UDP, or a TCP listener for tcp modes 1 and 2); false when it is taken.
    func bind(port wanted: UInt16) -> Bool {
        if spec.tcpMode == .udp {
            guard let out = RtpUdpSocket.bind(host, address: spec.localIp, port: wanted, loop: loop, recvBuffer: 4 << 20,
                                              reusePort: spec.reusePort, readIntervalMs: plugin?.settings.udpReadIntervalMs ?? 0, owner: self,
                                              { s, data, from in s.datagram(data, from) }) else { return false }
            udp = out
            port = host.table.udp_port(out)
        } else {
            // TCP active dials from this port, which needs SO_REUSEPORT on the listener.
            let reuse = spec.reusePort || spec.tcpMode == .active
            guard let out = PortBinding.listen(host, port: wanted, address: spec.localIp, reusePort: reuse, factory: self) else { return false }
            listener = out
            port = host.table.listener_port(out)
        }
        info.withLock { $0.localIp = spec.localIp }
        return true
    }

    /// [any thread] Starts the no-data check on the loop (a multiplexing server has none of its own).
    func startTimer() {
        host.onLoop(loop) { [self] in
            guard !closed, !spec.multiplex else { return }
            timer = host.table.timer_start(host.host, loop, 1000, 1000, { user, _ in
                guard let user else { return }
                Unmanaged<RtpServer>.fromOpaque(user).takeUnretainedValue().tick()
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    private func tick() {
        guard let plugin, !closed else { return }
        let now = host.table.now_us()
        guard now >= pausedUntilUs.withLock({ $0 }) else { return }
        guard now - lastPacketUs >= Int64(plugin.settings.timeoutSec) * 1_000_000 else { return }
        host.log(MR_LOG_WARNING, "\(label): no RTP for \(plugin.settings.timeoutSec) s; closed")
        plugin.registry.remove(self)
        if spec.postsTimeout { plugin.postTimeout(self) }
        close()
    }

    // MARK: packets (loop)

    func datagram(_ data: UnsafeBufferPointer<UInt8>, _ from: UdpPeer?) {
        guard !closed, let from else { return }
        if spec.multiplex {
            guard let ssrc = Self.ssrc(of: data) else { return }
            stream(ssrc)?.datagram(data, from)
            return
        }
        if let peer, peer != from {
            info.withLock { $0.droppedPeer += 1 }
            if !warnedPeer {
                warnedPeer = true
                host.log(MR_LOG_WARNING, "\(label): RTP from \(from.ip):\(from.port), not the first peer \(peer.ip):\(peer.port); dropped")
            }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: data)
        rtp(scratch[...], peerIp: from.ip, peerPort: Int(from.port)) { self.peer = from }
    }

    /// One RTP packet from the (first) peer; `adopt` runs when it is the first good one. The peer's address is
    /// only formatted for the first packet.
    func rtp(_ bytes: ArraySlice<UInt8>, peerIp: @autoclosure () -> String, peerPort: Int, adopt: () -> Void = {}) {
        guard !closed, !RtpPacket.isRtcp(bytes), let p = RtpPacket(bytes) else { return }
        if spec.multiplex { return stream(p.ssrc)?.rtp(bytes, peerIp: peerIp(), peerPort: peerPort, adopt: adopt) ?? () }
        let want = ssrc.load(ordering: .acquiring)
        if want != 0, p.ssrc != want {
            info.withLock { $0.droppedSsrc += 1 }
            if !warnedSsrc {
                warnedSsrc = true
                host.log(MR_LOG_WARNING, "\(label): SSRC \(p.ssrc) is not the expected \(want); dropped")
            }
            return
        }
        if source == nil {
            let peerIp = peerIp()
            guard let s = host.openSource(vhost: nil, app: spec.app, stream: spec.streamId, protocolName: "rtp",
                                          peer: "\(peerIp):\(peerPort)", loop: loop, takeover: true) else {
                host.log(MR_LOG_WARNING, "\(label): cannot publish: \(host.lastError)")
                return
            }
            source = s
            ingest = RtpPayloadIngest(host: host, source: s, label: label, only: spec.only)
            adopt()
            info.withLock { $0.peerIp = peerIp; $0.peerPort = peerPort; $0.ssrc = p.ssrc }
            plugin?.publishing.add(self)
            host.log(MR_LOG_INFO, "\(label): RTP from \(peerIp):\(peerPort), SSRC \(p.ssrc)")
        }
        lastPacketUs = host.table.now_us()
        guard spec.tcpMode == .udp else {
            info.withLock { $0.packets += 1; $0.bytes += bytes.count }
            ingest?.packet(p, gapBefore: false)
            return
        }
        let key = UInt64(p.ssrc) << 8 | UInt64(p.payloadType)
        if reorder.index(forKey: key) == nil, reorder.count >= Self.maxReorderStreams { return }
        // Changed in place (a copy out and back would copy the held packets too), the push and its pops in one
        // access: each subscript is a hash lookup and a move of the buffer's state.
        Self.reorder(&reorder[key, default: RtpJitterBuffer()], p) { ingest?.packet($0, gapBefore: $1) }
        var lost = 0, reordered = 0
        for b in reorder.values { (lost, reordered) = (lost + b.lost, reordered + b.reordered) }
        info.withLock { $0.packets += 1; $0.bytes += bytes.count; $0.lost = lost; $0.reordered = reordered }
    }

    private static func reorder(_ buffer: inout RtpJitterBuffer, _ p: RtpPacket, _ deliver: (RtpPacket, Bool) -> Void) {
        buffer.push(p)
        while let (q, gap) = buffer.pop() { deliver(q, gap) }
    }

    // MARK: multiplexing (loop)

    static func ssrc(of data: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard data.count >= 12, data[1] < 200 || data[1] > 204 else { return nil }   // RTCP (RFC 5761 4) is not routed
        return UInt32(data[8]) << 24 | UInt32(data[9]) << 16 | UInt32(data[10]) << 8 | UInt32(data[11])
    }

    /// The stream of `ssrc` on a multiplexing server, made on its first packet; nil past the bound.
    private func stream(_ ssrc: UInt32) -> RtpServer? {
        if let s = streams[ssrc] { return s }
        guard let plugin, streams.count < Self.maxMultiplexStreams else { return nil }
        var child = RtpServerSpec(app: spec.app, streamId: ssrc.zeroPadded(8, radix: 16, uppercase: true), tcpMode: spec.tcpMode, reusePort: false,
                                  only: spec.only, postsTimeout: false)
        child.localIp = spec.localIp
        let s = RtpServer(host: host, plugin: plugin, spec: child, ssrc: ssrc, loop: loop)
        s.port = port
        s.onClose = { [weak self] in self?.streams[ssrc] = nil }
        streams[ssrc] = s
        s.startTimer()
        return s
    }

    // MARK: TCP (loop)

    /// A TCP peer (accepted, or dialled by connectRtpServer); false when another one already feeds this server
    /// (a multiplexing server takes any number).
    func attach(_ c: OpaquePointer, loop connLoop: Int32) -> Bool {
        guard !closed else { return false }
        if spec.multiplex { return peers.insert(c).inserted }
        guard conn == nil else { return false }
        conn = c
        self.connLoop = connLoop
        liveConn.withLock { $0 = UInt(bitPattern: c) }
        return true
    }

    // MARK: talk (loop)

    /// [any thread] startSendRtpTalk: RTP packets back to the device over the socket its RTP arrives on (to
    /// its address over UDP, RFC 4571 over its TCP connection); false while no device has sent yet.
    func sendBack(_ packets: [[UInt8]]) {
        host.onLoop(loop) { [self] in
            guard !closed else { return }
            if let udp, let peer {
                for p in packets {
                    peer.withSockaddr { a, l in batch.begin(to: a, length: l) }
                    batch.inline(p)
                }
                batch.send(host, udp)
            } else if let conn {
                let framed = packets.flatMap { RtpChunkPacketizer.rfc4571($0) }
                host.onLoop(connLoop) { [host, liveConn] in
                    if liveConn.withLock({ $0 == UInt(bitPattern: conn) }) { host.send(conn, framed) }
                }
            }
        }
    }

    /// The TCP peer went away (compared by handle only); a new one may connect, as a device that reconnects.
    func detach(_ c: OpaquePointer) {
        peers.remove(c)
        if conn == c { conn = nil }
    }

    /// [the connection's loop] Its on_close: the handle is dead from here on.
    func markConnectionGone(_ c: OpaquePointer) { liveConn.withLock { if $0 == UInt(bitPattern: c) { $0 = 0 } } }

    /// [any thread] Closes sockets, source and timer on the loop.
    func close() {
        host.onLoop(loop) { [self] in
            guard !closed else { return }
            closed = true
            isClosed.withLock { $0 = true }
            if let t = timer { host.table.timer_cancel(t) }
            timer = nil
            if let u = udp { host.table.udp_close(u) }
            udp = nil
            if let c = conn { host.table.conn_close(c, 1) }
            for c in peers { host.table.conn_close(c, 1) }
            peers = []
            for s in streams.values { s.close() }
            plugin?.publishing.remove(self)
            if let s = source {
                let i = info.withLock { $0 }
                host.log(MR_LOG_INFO, "\(label) closed: \(ingest?.summary ?? ""); \(i.packets) RTP packets, \(i.lost) lost, \(i.reordered) reordered")
                host.table.source_close(s)
            }
            source = nil
            ingest = nil
            onClose?()
            onClose = nil
        }
        if let l = listener {
            listener = nil
            host.onWorker { [host] in host.table.listener_close(l) }
        }
    }
}

extension RtpServer: ConnectionFactory {
    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? { RtpTcpSession(server: self, host: host) }
}
