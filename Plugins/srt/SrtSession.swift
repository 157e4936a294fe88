import CSrt
import MRPluginKit
import PluginABI
import SrtProtocol

/// One SRT connection on one loop: a publisher (a caller publishing to us, or our pull) or a player (a
/// caller reading, or our push). The poller thread calls `ready`; everything else runs on `loop`.
class SrtSession: SrtSocketOwner {
    let context: SrtContext
    let sock: SRTSOCKET
    let loop: Int32
    let peer: String
    /// "publisher live/a from 10.0.0.1:5000" and the like, for logs.
    let label: String
    /// What the session carries, for the session list (getAllSession, getMediaList's origin).
    let identity: SrtSessionIdentity
    /// [loop] Set once the session is over.
    private(set) var closed = false
    /// Sampled by the stats timer, read at close for the last log line.
    let stats = SrtSessionStats()
    var onClose: ((String) -> Void)?

    var host: PluginHost { context.host }

    init(context: SrtContext, sock: SRTSOCKET, loop: Int32, peer: String, label: String, identity: SrtSessionIdentity) {
        self.context = context
        self.sock = sock
        self.loop = loop
        self.peer = peer
        self.label = label
        self.identity = identity
    }

    /// [loop] Starts the session once it is accepted or connected.
    func begin() {}

    /// [poller thread] Default: a broken socket ends the session.
    func ready(_ sock: SRTSOCKET, events: Int32) {
        if events & Int32(SRT_EPOLL_ERR.rawValue) != 0 { closeOnLoop("connection closed by the peer or timed out") }
    }

    /// [any thread] Ends the session on its loop.
    func closeOnLoop(_ why: String) {
        host.onLoop(loop) { [self] in close(why) }
    }

    /// [loop] Closes the socket, then lets the subclass close its bus handle.
    func close(_ why: String) {
        guard !closed else { return }
        closed = true
        context.poller.remove(sock)
        stats.sample(sock, host: host)
        srt_close(sock)
        ended()
        context.unregister(self)
        host.log(MR_LOG_INFO, "\(label) ended: \(why) (\(stats.summary))")
        onClose?(why)
        onClose = nil
    }

    /// [loop] The subclass closes its source or reader.
    func ended() {}
}
