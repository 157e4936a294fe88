import MRPluginKit
import PluginABI
import RtpFormats

/// One TCP connection feeding an RTP server (TCP passive: the device connected; active: we dialled it):
/// RFC 4571 or `$` framing, resynchronised on corrupt lengths. A second connection to a server that already
/// has its peer is refused. Lives on the connection's loop; packets are handed to the server's loop.
final class RtpTcpSession: ConnectionHandler {
    private let server: RtpServer
    private let host: PluginHost
    private var framer: RtpTcpFramer
    private var peerIp = "", peerPort = 0
    private var conn: OpaquePointer?
    private var reportedResyncs = 0

    init(server: RtpServer, host: PluginHost) {
        self.server = server
        self.host = host
        let want = server.ssrc.load(ordering: .acquiring)
        framer = RtpTcpFramer(expectedSsrc: want == 0 ? nil : want)
    }

    func opened(_ conn: OpaquePointer) {
        self.conn = conn
        let peer = host.peer(conn)
        peerIp = UdpPeer.host(ofPeer: peer)
        peerPort = Int(peer.split(separator: ":").last ?? "") ?? 0
        // The server's state lives on its loop; attach there, and hand packets there.
        let server = self.server
        let connLoop = Int32(host.currentLoop)
        host.onLoop(server.loop) { [weak self] in
            guard server.attach(conn, loop: connLoop) else {
                server.info.withLock { $0.droppedPeer += 1 }
                self?.host.log(MR_LOG_WARNING, "\(server.label): second TCP peer \(peer) refused")
                self?.host.table.conn_close(conn, 1)
                return
            }
        }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        let packets = framer.push(Array(bytes.bindMemory(to: UInt8.self))[...])
        if framer.resyncs > reportedResyncs {
            if reportedResyncs == 0 {
                host.log(MR_LOG_WARNING, "\(server.label): corrupt RTP-over-TCP length from \(peerIp):\(peerPort); resynchronising")
            }
            reportedResyncs = framer.resyncs
        }
        guard !packets.isEmpty else { return }
        let server = self.server, ip = peerIp, port = peerPort
        if host.currentLoop == Int(server.loop) {
            for p in packets { server.rtp(p, peerIp: ip, peerPort: port) }
        } else {
            host.onLoop(server.loop) { for p in packets { server.rtp(p, peerIp: ip, peerPort: port) } }
        }
    }

    func closed(reason: Int32, message: String) {
        let server = self.server
        // The handle is dead after on_close; the server forgets it on its loop.
        guard let conn else { return }
        server.markConnectionGone(conn)
        host.onLoop(server.loop) { server.detach(conn) }
    }
}
