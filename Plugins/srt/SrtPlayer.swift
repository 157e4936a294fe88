import BusMedia
import CSrt
import MRPluginKit
import PluginABI
import SrtProtocol

/// A stream sent over SRT from the shared "ts" ring: a caller playing (asked through the core's auth first)
/// or a push of ours. Sent from the reader's loop in messages of whole TS packets with non-blocking
/// `srt_sendmsg2`; when libsrt's send buffer is full the reader pauses until the poller sees the socket
/// writable, and a reader left behind for long skips to a keyframe like any other.
final class SrtPlayer: SrtSession, ReaderHandler {
    struct Target {
        let vhost: String?
        let app: String
        let stream: String
        let query: String
        let user: String?
        let password: String?
        /// "srt" for callers (ABI 1.3 `schemas` readers), "srt-push" for pushes.
        let protocolName: String
        let needsAuth: Bool
    }

    let target: Target
    private var reader: OpaquePointer?
    private lazy var box = ReaderBox(self)
    /// TS not yet accepted by libsrt, sent before anything newer.
    private var backlog: [UInt8] = []
    private var paused = false
    private var bytesOut = BatchedStat(name: "ts_bytes_out")
    /// Holds the session while its reader may still call back (until MR_READER_CLOSED, or reader_close):
    /// the reader's box does not retain it.
    private var keepAlive: SrtPlayer?
    var onPlaying: (() -> Void)?

    init(context: SrtContext, sock: SRTSOCKET, loop: Int32, peer: String, target: Target) {
        self.target = target
        super.init(context: context, sock: sock, loop: loop, peer: peer,
                   label: "\(target.protocolName == "srt" ? "player" : "push") \(target.app)/\(target.stream) \(target.protocolName == "srt" ? "to" : "->") \(peer)",
                   identity: .init(role: .player, vhost: target.vhost, app: target.app, stream: target.stream, protocolName: target.protocolName))
    }

    override func begin() {
        guard target.needsAuth else { return play() }
        AuthQuestion(action: MR_AUTH_PLAY, vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "srt", peer: peer,
                     query: target.query, user: target.user, password: target.password).ask(host, loop: loop) { [self] allowed, reason in
            guard !closed else { return }
            guard allowed else { return close("play denied: \(reason)") }
            play()
        }
    }

    private func play() {
        guard context.poller.add(sock, events: SrtPoller.errorEvents, owner: self) else { return close("cannot watch the socket") }
        let (rc, out) = host.openReader(vhost: target.vhost, app: target.app, stream: target.stream, format: "ts", muxer: context.tsMuxer,
                                        protocolName: target.protocolName, peer: peer, loop: loop, box: box)
        guard rc == MR_OK, let out else { return close("cannot play: \(host.lastError)") }
        reader = out
        keepAlive = self
    }

    /// Lets go of the self-reference on a later turn, never inside the reader callback now running.
    private func releaseSelf() {
        guard let k = keepAlive else { return }
        keepAlive = nil
        host.release(k, onLoop: loop)
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard !closed else { return }
        for f in frames {
            guard let payload = f.payload else { continue }
            let bytes = host.bytes(of: payload)
            if paused || !backlog.isEmpty {
                backlog.append(contentsOf: bytes)
                continue
            }
            let sent = send(bytes)
            if sent < bytes.count { backlog.append(contentsOf: bytes[sent...]) }
        }
        if !backlog.isEmpty && !paused { waitForRoom() }
    }

    /// Sends whole messages until libsrt refuses one; returns the bytes taken.
    private func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        for r in TsMessages.ranges(count: bytes.count, payloadSize: context.settings.payloadSize) {
            let rc = srt_sendmsg2(sock, bytes.baseAddress.map { ($0 + r.lowerBound).assumingMemoryBound(to: CChar.self) }, Int32(r.count), nil)
            if rc < 0 {
                if SrtLibrary.lastErrorCode != SRT_EASYNCSND.rawValue { closeOnLoop("send failed: \(SrtLibrary.lastError)") }
                return r.lowerBound
            }
            bytesOut.add(r.count, host)
        }
        return bytes.count
    }

    private func waitForRoom() {
        guard let reader, !paused else { return }
        paused = true
        host.table.reader_set_paused(reader, 1)
        context.poller.update(sock, events: SrtPoller.outputEvents)
    }

    /// [poller thread] Writable again, or broken.
    override func ready(_ sock: SRTSOCKET, events: Int32) {
        if events & Int32(SRT_EPOLL_ERR.rawValue) != 0 { return closeOnLoop("connection closed by the peer or timed out") }
        guard events & Int32(SRT_EPOLL_OUT.rawValue) != 0 else { return }
        context.poller.update(sock, events: SrtPoller.errorEvents)
        host.onLoop(loop) { [self] in drained() }
    }

    private func drained() {
        guard !closed, paused else { return }
        let pending = backlog
        backlog = []
        let sent = pending.withUnsafeBytes { send($0) }
        if sent < pending.count {
            backlog = Array(pending[sent...])
            context.poller.update(sock, events: SrtPoller.outputEvents)
            return
        }
        paused = false
        if let reader { host.table.reader_set_paused(reader, 0) }
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            host.log(MR_LOG_INFO, "\(label): playing")
            onPlaying?()
        case MR_READER_NOT_FOUND:
            self.reader = nil
            close("stream not found")
        case MR_READER_ENDED:
            self.reader = nil
            close("the stream ended")
        case MR_READER_SKIPPED:
            backlog = []
            host.log(MR_LOG_INFO, "\(label) fell behind: skipped \(detail) frames to the newest keyframe")
        case MR_READER_CLOSED:
            self.reader = nil
            close("reader closed")
            releaseSelf()
        default:
            break
        }
    }

    override func ended() {
        bytesOut.flush(host)
        if let reader {
            host.table.reader_close(reader)
            releaseSelf()
        }
        reader = nil
    }
}
