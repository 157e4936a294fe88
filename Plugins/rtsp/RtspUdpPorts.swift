import MRPluginKit
import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// Receives what a UDP peer sends to the server's ports.
protocol RtspUdpReceiver: AnyObject {
    func udpRtp(slot: Int, _ bytes: ArraySlice<UInt8>)
    func udpRtcp(slot: Int, _ bytes: ArraySlice<UInt8>)
}

/// One RTP/RTCP port pair per event loop, from `udp_port_range`: every UDP session of a loop shares its
/// pair, and datagrams are routed to sessions by their sender's address (as MediaMTX does), so a session
/// never needs a bind of its own. Confined to its loop after start.
final class RtspUdpPorts: @unchecked Sendable {
    let loop: Int32
    private let host: PluginHost
    private(set) var rtp: OpaquePointer?
    private(set) var rtcp: OpaquePointer?
    private var routes: [UdpPeer: (receiver: WeakReceiver, slot: Int, rtcp: Bool)] = [:]
    private var unknownLogged = false

    final class WeakReceiver {
        weak var value: (any RtspUdpReceiver)?
        init(_ v: any RtspUdpReceiver) { value = v }
    }

    private init(host: PluginHost, loop: Int32) {
        self.host = host
        self.loop = loop
    }

    var rtpPort: UInt16 { rtp.map { host.table.udp_port($0) } ?? 0 }
    var rtcpPort: UInt16 { rtcp.map { host.table.udp_port($0) } ?? 0 }

    /// [control] Binds a pair for every loop from the start of `range`, skipping ports in use.
    static func bindAll(host: PluginHost, bind: String, range: ClosedRange<Int>) -> [RtspUdpPorts]? {
        var result: [RtspUdpPorts] = []
        var port = range.lowerBound & ~1
        for loop in 0..<Int32(host.loopCount) {
            let p = RtspUdpPorts(host: host, loop: loop)
            while p.rtp == nil {
                guard port + 1 <= range.upperBound else {
                    host.log(MR_LOG_ERROR, "udp_port_range \(range) has no free RTP/RTCP pair left for loop \(loop)")
                    result.forEach { $0.close() }
                    p.close()
                    return nil
                }
                let a = p.bindOne(bind, port)
                let b = a == nil ? nil : p.bindOne(bind, port + 1)
                if let a, let b {
                    p.rtp = a
                    p.rtcp = b
                } else if let a {
                    host.table.udp_close(a)
                }
                port += 2
            }
            result.append(p)
        }
        return result
    }

    /// [control] A free even/odd pair of consecutive ports, for a client (a UDP pull): servers read
    /// client_port=a-b as RTP and RTCP and some refuse a pair that is not consecutive.
    static func bindAny(host: PluginHost, loop: Int32) -> RtspUdpPorts? {
        let p = RtspUdpPorts(host: host, loop: loop)
        for _ in 0..<64 {
            let port = Int.random(in: 20000..<30000) * 2
            guard let a = p.bindOne("0.0.0.0", port) else { continue }
            guard let b = p.bindOne("0.0.0.0", port + 1) else {
                host.table.udp_close(a)
                continue
            }
            p.rtp = a
            p.rtcp = b
            return p
        }
        return nil
    }

    private func bindOne(_ bind: String, _ port: Int) -> OpaquePointer? {
        var options = mr_udp_options()
        options.size = UInt32(MemoryLayout<mr_udp_options>.size)
        options.port = UInt16(port)
        options.loop = loop
        options.recv_buffer = 4 << 20
        var cbs = mr_udp_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_udp_callbacks>.size)
        cbs.on_datagram = { user, sock, data, len, from, fromLen in
            guard let user, let sock, let data, let from else { return }
            Unmanaged<RtspUdpPorts>.fromOpaque(user).takeUnretainedValue()
                .datagram(sock, UnsafeBufferPointer(start: data, count: len), from, fromLen)
        }
        // Each socket holds the object until its on_close, which comes on its loop after any datagram.
        cbs.on_close = { user, _, _, _ in
            guard let user else { return }
            Unmanaged<RtspUdpPorts>.fromOpaque(user).release()
        }
        var out: OpaquePointer?
        let user = Unmanaged.passRetained(self).toOpaque()
        let rc = bind.withCString { b in
            options.bind_address = b
            return host.table.udp_bind(host.host, &options, &cbs, user, &out)
        }
        guard rc == MR_OK else {
            Unmanaged<RtspUdpPorts>.fromOpaque(user).release()
            return nil
        }
        return out
    }

    private func datagram(_ sock: OpaquePointer, _ data: UnsafeBufferPointer<UInt8>, _ from: UnsafePointer<sockaddr>, _ len: socklen_t) {
        guard let peer = UdpPeer(from, len) else { return }
        guard let route = routes[peer], let receiver = route.receiver.value else {
            if !unknownLogged {
                unknownLogged = true
                host.log(MR_LOG_DEBUG, "UDP datagram from \(peer.ip):\(peer.port), which no session set up; dropped (once per loop)")
            }
            return
        }
        let bytes = Array(data)[...]
        if sock == rtcp { receiver.udpRtcp(slot: route.slot, bytes) } else { receiver.udpRtp(slot: route.slot, bytes) }
    }

    /// [loop] Routes a peer's datagrams to a session until `unroute`. False when another live session has
    /// that address (two clients behind one NAT with the same ports), or the session has too many routes.
    @discardableResult
    func route(_ peer: UdpPeer, to receiver: any RtspUdpReceiver, slot: Int, rtcp: Bool) -> Bool {
        if let existing = routes[peer]?.receiver.value, existing !== receiver { return false }
        // A repeated SETUP of a slot replaces its routes instead of adding more.
        routes = routes.filter { !($0.value.receiver.value === receiver && $0.value.slot == slot && $0.value.rtcp == rtcp) }
        guard routes.values.filter({ $0.receiver.value === receiver }).count < 32 else { return false }
        routes[peer] = (WeakReceiver(receiver), slot, rtcp)
        return true
    }

    func unroute(_ receiver: any RtspUdpReceiver) {
        routes = routes.filter { $0.value.receiver.value !== receiver && $0.value.receiver.value != nil }
    }

    /// [loop] Sends one datagram of `len` bytes at `offset` of a shared buffer (a slice; no copy).
    func send(_ buf: OpaquePointer, offset: Int, len: Int, to peer: UdpPeer, rtcp viaRtcp: Bool) {
        guard let sock = viaRtcp ? rtcp : rtp, let slice = host.table.buf_slice(buf, offset, len) else { return }
        var b: OpaquePointer? = slice
        _ = peer.withSockaddr { addr, alen in host.table.udp_send(sock, addr, alen, &b, 1) }
        host.table.buf_release(slice)
    }

    func send(_ bytes: [UInt8], to peer: UdpPeer, rtcp viaRtcp: Bool) {
        guard let buf = host.buffer(bytes) else { return }
        send(buf, offset: 0, len: bytes.count, to: peer, rtcp: viaRtcp)
        host.table.buf_release(buf)
    }

    func close() {
        if let rtp { host.table.udp_close(rtp) }
        if let rtcp { host.table.udp_close(rtcp) }
        rtp = nil
        rtcp = nil
    }
}
