#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats

/// What startSendRtp asked for; immutable once started.
struct RtpSenderSpec {
    let vhost: String
    let app: String
    let stream: String
    /// As given (ZLMediaKit keys senders by the text); `ssrcValue` goes into the packets.
    let ssrc: String
    let ssrcValue: UInt32
    let dstHost: String
    let dstPort: UInt16
    let udp: Bool
    let payloadType: UInt8
    let kind: RtpSendPayload.Kind
    let onlyAudio: Bool
    /// UDP: stop (with the hook) when the peer sends no RTCP for this long; 0 = never.
    let rtcpTimeoutUs: Int64
    /// startSendRtpTalk: the stream_id of the RTP server (same app) whose socket carries the packets back.
    var talkStream: String? = nil
    /// startSendRtpPassive: how long the port waits for the platform to connect (ZLMediaKit's close_delay_ms).
    var connectWaitMs: Int64 = 0

    var key: String { "\(vhost)/\(app)/\(stream)/\(ssrc)" }
}

/// One startSendRtp (ZLMediaKit's RtpSender): a bus reader of the stream, from its GOP cache keyframe, sent
/// as RTP to `dst_url:dst_port` over the host's UDP socket bound to the local port, or over a TCP connection
/// dialled from it (RFC 4571 framing). When the TCP peer goes away or the stream ends, on_send_rtp_stopped is
/// posted; stopSendRtp stops it silently. Everything but `localPort`/`stats` is touched on `loop` only.
final class RtpSender: ReaderHandler, ConnectionHandler, ConnectionFactory, @unchecked Sendable {
    let spec: RtpSenderSpec
    let loop: Int32
    private let host: PluginHost
    private weak var plugin: Gb28181Plugin?
    let localPort = LockedValue<UInt16>(0)
    /// Its id among gb28181's sessions (getAllSession), and the address its socket is bound to.
    let sessionId = RtpPublishers.nextId()
    var localIp: String { plugin?.settings.bind ?? "0.0.0.0" }
    /// Packets and bytes sent, and frames dropped for a TCP peer that does not keep up, for listRtpSender.
    let stats = LockedValue((packets: 0, bytes: 0, dropped: 0))
    /// TCP: past this many bytes queued in the host for the peer, frames are dropped up to the next keyframe
    /// (the host's queue itself has no bound); a peer that lets it stay there for `timeout_sec` is closed.
    static let maxPendingBytes = 1 << 20
    private var congestedSinceUs: Int64?
    private lazy var box = ReaderBox(self)
    private var reader: OpaquePointer?
    private var udp: OpaquePointer?
    private var peer: UdpPeer?
    private var conn: OpaquePointer?
    /// startSendRtpPassive: the port the platform connects to; the first connection gets the stream.
    private var listener: OpaquePointer?
    private let accepted = LockedValue(false)
    /// The TCP connection's own loop (an accepted one may be on another than ours; sends go there) and
    /// whether its handle is still alive, read on that loop when a hop arrives.
    private var connLoop: Int32 = 0
    private let connAlive = LockedValue(false)
    private var payload: RtpSendPayload?
    private var waitingForKey = true
    /// Where numbering starts (random, RFC 3550 5.1) and goes on when the tracks change.
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var batch = UdpBatchBuilder()
    private var stopped = false
    private var lastRtcpUs: Int64 = 0
    private var timer: OpaquePointer?
    /// UDP: RTCP on the next port up (RFC 3550 11), as ZLMediaKit pairs them: sender reports go to the peer's
    /// RTP port + 1, or to where its first RTCP came from. Without the pair (the port above taken), the
    /// reports leave from the RTP socket.
    private var rtcpUdp: OpaquePointer?
    private var rtcpPeer: UdpPeer?
    private var sawRtcpPeer = false
    private var report: RtpSenderReportClock?
    private var lastReportUs: Int64 = 0
    /// RFC 3550 6.2's minimum interval, as ZLMediaKit sends them.
    static let senderReportIntervalUs: Int64 = 5_000_000
    /// startSendRtpPassive: the one-shot wait for the platform's connection.
    private var connectWait: OpaquePointer?
    /// startSendRtp's answer, given when the stream is being read (nil) or the start failed (why): as
    /// ZLMediaKit, a stream that is not there (after the host's play wait) fails the call, with no hook.
    var onStarted: ((String?) -> Void)?
    /// startSendRtpTalk: the RTP server whose device gets the packets, over its own socket.
    var talk: RtpServer?

    init(host: PluginHost, plugin: Gb28181Plugin, spec: RtpSenderSpec, loop: Int32) {
        self.host = host
        self.plugin = plugin
        self.spec = spec
        self.loop = loop
    }

    var label: String {
        "rtp sender \(spec.app)/\(spec.stream) ssrc \(spec.ssrc)"
            + (spec.talkStream.map { " talk to \($0)" } ?? (spec.dstPort == 0 ? " passive" : " -> \(spec.udp ? "udp" : "tcp") \(spec.dstHost):\(spec.dstPort)"))
    }

    // MARK: transport (a worker, then the loop)

    /// [worker] Binds the UDP socket on `port` and its RTCP socket on `port + 1`; false when `port` is taken, or
    /// with `pairRequired` (a port of the range) when `port + 1` is.
    func bindUdp(port: UInt16, address: String, pairRequired: Bool) -> Bool {
        guard let dst = UdpPeer(ip: spec.dstHost, port: spec.dstPort) else { return false }
        // RTCP first: a socket bound in vain is then the RTP one's only, which the worker may still drop.
        var rtcp: OpaquePointer?
        if port < .max {
            rtcp = RtpUdpSocket.bind(host, address: address, port: port + 1, loop: loop, owner: self) { s, data, from in s.rtcpDatagram(data, from) }
        }
        if rtcp == nil && pairRequired { return false }
        guard let out = RtpUdpSocket.bind(host, address: address, port: port, loop: loop, owner: self, { s, data, _ in s.datagram(data) }) else {
            if let rtcp { host.onLoop(loop) { [host] in host.table.udp_close(rtcp) } }
            return false
        }
        udp = out
        rtcpUdp = rtcp
        peer = dst
        rtcpPeer = spec.dstPort < .max ? UdpPeer(ip: spec.dstHost, port: spec.dstPort + 1) : nil
        localPort.withLock { $0 = host.table.udp_port(out) }
        return true
    }

    /// Only RTCP (the peer's receiver reports) counts as a sign of life; anything else the peer sends is ignored.
    private func datagram(_ data: UnsafeBufferPointer<UInt8>) {
        guard data.count >= 8, RtpPacket.isRtcp(Array(data.prefix(2))[...]) else { return }
        lastRtcpUs = host.table.now_us()
    }

    /// On the RTCP port: the first report's address is where ours go from then on (a peer behind NAT is
    /// reachable there, as ZLMediaKit does it).
    private func rtcpDatagram(_ data: UnsafeBufferPointer<UInt8>, _ from: UdpPeer?) {
        guard data.count >= 8, RtpPacket.isRtcp(Array(data.prefix(2))[...]) else { return }
        if !sawRtcpPeer, let from {
            rtcpPeer = from
            sawRtcpPeer = true
        }
        lastRtcpUs = host.table.now_us()
    }

    /// [loop] UDP: once a second, a sender report when one is due, and with udp_rtcp_timeout the check that
    /// the peer's RTCP still comes.
    private func startRtcpTimer() {
        guard spec.udp, spec.talkStream == nil, timer == nil else { return }
        lastRtcpUs = host.table.now_us()
        timer = host.table.timer_start(host.host, loop, 1000, 1000, { user, _ in
            guard let user else { return }
            let s = Unmanaged<RtpSender>.fromOpaque(user).takeUnretainedValue()
            guard !s.stopped else { return }
            s.sendReportIfDue()
            guard s.spec.rtcpTimeoutUs > 0, s.host.table.now_us() - s.lastRtcpUs >= s.spec.rtcpTimeoutUs else { return }
            s.finish(notify: true, reason: "no RTCP from the peer for \(s.spec.rtcpTimeoutUs / 1_000_000) s")
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// [loop] An RTCP sender report when none went out for 5 s (the first as soon as packets did).
    private func sendReportIfDue() {
        let now = host.table.now_us()
        guard lastReportUs == 0 || now - lastReportUs >= Self.senderReportIntervalUs,
              let sock = rtcpUdp ?? udp, let to = rtcpPeer,
              let sr = report?.report(unixUs: Self.unixMicroseconds()) else { return }
        lastReportUs = now
        to.withSockaddr { a, l in batch.begin(to: a, length: l) }
        batch.inline(sr.encode())
        batch.send(host, sock)
    }

    static func unixMicroseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// [loop] startSendRtpPassive: a platform that has not connected within close_delay_ms is given up, with
    /// on_send_rtp_stopped (ZLMediaKit: "wait tcp connection timeout").
    func startConnectWait() {
        guard spec.connectWaitMs > 0, listener != nil, !stopped else { return }
        connectWait = host.table.timer_start(host.host, loop, spec.connectWaitMs, 0, { user, _ in
            guard let user else { return }
            let s = Unmanaged<RtpSender>.fromOpaque(user).takeUnretainedValue()
            s.connectWait = nil   // a one-shot timer frees itself
            guard !s.stopped, !s.accepted.withLock({ $0 }) else { return }
            s.finish(notify: true, reason: "no TCP connection within \(s.spec.connectWaitMs) ms")
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// TCP active without a requested src_port: the range its port came from, and how many more of it to
    /// try. A port of the range may be taken by a listener (ours or another process's) between the pick
    /// and the bind: the dial moves on to the next one rather than failing the call.
    var redial: (range: ClosedRange<Int>, left: Int)?

    /// [any thread] Dials the peer from `port`; `onStarted` answers.
    func connect(from port: UInt16) -> Bool {
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = spec.dstPort
        options.loop = loop
        options.local_port = port
        localPort.withLock { $0 = port }
        var cbs = ConnectionBridge.callbacks()
        let rc = spec.dstHost.withCString { h in
            options.host = h
            return host.table.tcp_connect(host.host, &options, &cbs, ConnectionBridge.user(for: self))
        }
        return rc == MR_OK
    }

    /// [worker] startSendRtpPassive: listens on `port`; false when it is taken.
    func listen(port: UInt16, address: String) -> Bool {
        guard let out = PortBinding.listen(host, port: port, address: address, reusePort: false, factory: self) else { return false }
        listener = out
        localPort.withLock { $0 = host.table.listener_port(out) }
        return true
    }

    /// One platform per sender: a second connection to a passive sender is refused. Connections arrive on
    /// any loop; the check is on the listener's callback thread, which is one for the listener.
    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? {
        let first = accepted.withLock { was in defer { was = true }; return !was }
        return first ? self : nil
    }

    func connectFailed(_ message: String) {
        if let r = redial, r.left > 0, message.contains(String(cString: strerror(EADDRINUSE))), let plugin, !stopped {
            redial = (r.range, r.left - 1)
            let port = UInt16(plugin.registry.nextPort(in: r.range))
            host.log(MR_LOG_DEBUG, "\(label): local port \(localPort.withLock { $0 }) in use, dialling from \(port)")
            if connect(from: port) { return }
        }
        host.log(MR_LOG_WARNING, "\(label): connect failed: \(message)")
        stopped = true
        plugin?.senders.remove(self)
        onStarted?(message)
        onStarted = nil
    }

    func opened(_ conn: OpaquePointer) {
        connAlive.withLock { $0 = true }
        let onLoop = Int32(host.currentLoop)
        // An accepted connection may sit on another loop than ours: the sender's state stays on `loop`.
        host.onLoop(loop) { [self] in
            connLoop = onLoop
            guard !stopped else {
                host.onLoop(onLoop) { [host, connAlive] in
                    if connAlive.withLock({ $0 }) { host.table.conn_close(conn, 1) }
                }
                return
            }
            self.conn = conn
            if let w = connectWait { host.table.timer_cancel(w) }
            connectWait = nil
            startReading()
        }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {}

    func closed(reason: Int32, message: String) {
        connAlive.withLock { $0 = false }
        host.onLoop(loop) { [self] in
            conn = nil
            finish(notify: true, reason: message.isEmpty ? "the TCP peer closed the connection" : message)
        }
    }

    // MARK: reader (loop)

    /// [loop] Opens the bus reader.
    func startReading() {
        guard !stopped else { return }
        startRtcpTimer()
        let vhost = spec.vhost == "__defaultVhost__" ? nil : spec.vhost
        let (rc, out) = host.openReader(vhost: vhost, app: spec.app, stream: spec.stream, protocolName: "rtp-send",
                                        peer: "\(spec.dstHost):\(spec.dstPort)", loop: loop, box: box)
        guard rc == MR_OK, let out else { return finish(notify: true, reason: "cannot read the stream: \(host.lastError)") }
        if reader == nil { reader = out }
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED, MR_READER_TRACKS_CHANGED:
            self.reader = reader
            onStarted?(nil)
            onStarted = nil
            let tracks: [MediaTrack?] = (0..<host.table.reader_track_count(reader)).map { i in
                host.trackInfo(reader: reader, i).flatMap(MediaTrack.init).flatMap { spec.onlyAudio && $0.codec.isVideo ? nil : $0 }
            }
            if let next = payload?.nextSequence { sequence = next }
            let p = RtpSendPayload(kind: spec.kind, tracks: tracks, payloadType: spec.payloadType, ssrc: spec.ssrcValue, firstSequence: sequence)
            payload = p.isEmpty ? nil : p
            // The counts go on across a change of tracks (RFC 3550 6.4.1: since transmission started).
            if report == nil, spec.udp, let clock = p.clock { report = RtpSenderReportClock(ssrc: spec.ssrcValue, clock: clock) }
            waitingForKey = true
            host.log(MR_LOG_INFO, "\(label): sending \(tracks.compactMap { $0.map { "\($0.codec)" } }.joined(separator: ", ")) as \(spec.kind)\(payload == nil ? " (nothing to send)" : "")")
        case MR_READER_SKIPPED:
            waitingForKey = true
        case MR_READER_NOT_FOUND, MR_READER_ENDED:
            self.reader = nil
            finish(notify: true, reason: event == MR_READER_ENDED ? "the stream ended" : "stream not found")
        case MR_READER_CLOSED:
            self.reader = nil
            finish(notify: true, reason: "the reader was closed")
        default:
            break
        }
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard !stopped, var p = payload else { return }
        payload = nil
        var packets: [[UInt8]] = []
        for f in frames {
            guard let buf = f.payload else { continue }
            let key = f.flags & UInt32(MR_FRAME_KEY) != 0
            if waitingForKey && p.hasVideo && !key { continue }
            let out = p.packets(track: Int(f.track), pts: f.pts, dts: f.dts, key: key, data: Array(host.bytes(of: buf))[...])
            if !out.isEmpty { waitingForKey = false }
            packets += out
        }
        payload = p
        send(packets)
    }

    private func send(_ packets: [[UInt8]]) {
        guard !packets.isEmpty else { return }
        let bytes = packets.reduce(0) { $0 + $1.count }
        if let talk {
            guard !talk.isClosed.withLock({ $0 }) else { return finish(notify: true, reason: "the RTP server \(talk.spec.streamId) closed") }
            stats.withLock { $0.packets += packets.count; $0.bytes += bytes }
            talk.sendBack(packets)
        } else if let udp, let peer {
            stats.withLock { $0.packets += packets.count; $0.bytes += bytes }
            let now = Self.unixMicroseconds()
            for p in packets {
                peer.withSockaddr { a, l in batch.begin(to: a, length: l) }
                batch.inline(p)
                report?.sent(p[...], unixUs: now)
            }
            batch.send(host, udp)
            if lastReportUs == 0 { sendReportIfDue() }
        } else if let conn {
            var framed: [UInt8] = []
            framed.reserveCapacity(bytes + 2 * packets.count)
            for p in packets { framed += RtpChunkPacketizer.rfc4571(p) }
            let count = packets.count
            if connLoop == loop {
                guard host.table.conn_pending_bytes(conn) <= Self.maxPendingBytes else { return congested() }
                let rc = host.send(conn, framed)
                // A connection the platform closed refuses sends before its on_close reaches this loop: that
                // callback ends the sender, with the platform's own reason (closed or reset).
                if rc == Int32(MR_ERR_CLOSED) { return }
                if rc != MR_OK { return finish(notify: true, reason: "TCP send failed: \(host.lastError)") }
                sent(count, bytes)
            } else {
                // The queue is read on the connection's loop; the verdict comes back to ours.
                host.onLoop(connLoop) { [self, host, connAlive] in
                    guard connAlive.withLock({ $0 }) else { return }
                    let full = host.table.conn_pending_bytes(conn) > Self.maxPendingBytes
                    if !full { host.send(conn, framed) }
                    host.onLoop(loop) { [self] in full ? congested() : sent(count, bytes) }
                }
            }
        }
    }

    private func sent(_ packets: Int, _ bytes: Int) {
        stats.withLock { $0.packets += packets; $0.bytes += bytes }
        if congestedSinceUs != nil { host.log(MR_LOG_INFO, "\(label): the TCP peer reads again") }
        congestedSinceUs = nil
    }

    /// [loop] The TCP peer's queue is full: this frame and the rest up to the next keyframe are dropped, and a
    /// peer that has read nothing for `timeout_sec` is given up.
    private func congested() {
        guard !stopped else { return }
        waitingForKey = true
        stats.withLock { $0.dropped += 1 }
        let now = host.table.now_us()
        guard let since = congestedSinceUs else {
            congestedSinceUs = now
            return host.log(MR_LOG_WARNING, "\(label): the TCP peer does not keep up (over \(Self.maxPendingBytes) bytes queued); dropping to the next keyframe")
        }
        let limit = Int64(plugin?.settings.timeoutSec ?? 15) * 1_000_000
        if now - since >= limit { finish(notify: true, reason: "the TCP peer stopped reading for \(limit / 1_000_000) s") }
    }

    // MARK: stopping (loop)

    /// [any thread] stopSendRtp: stops without the hook.
    func stop() { host.onLoop(loop) { [self] in finish(notify: false, reason: "stopSendRtp") } }

    private func finish(notify: Bool, reason: String) {
        guard !stopped else { return }
        stopped = true
        let sent = stats.withLock { $0 }
        host.log(MR_LOG_INFO, "\(label) stopped (\(reason)): \(sent.packets) packets, \(sent.bytes) bytes")
        plugin?.senders.remove(self)
        // The reader's callbacks hold no reference: keep the sender until a later turn of the loop.
        host.release(self, onLoop: loop)
        if let r = reader {
            reader = nil
            host.table.reader_close(r)
        }
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
        if let w = connectWait { host.table.timer_cancel(w) }
        connectWait = nil
        if let u = udp { host.table.udp_close(u) }
        udp = nil
        if let u = rtcpUdp { host.table.udp_close(u) }
        rtcpUdp = nil
        if let c = conn {
            if connLoop == loop {
                host.table.conn_close(c, 1)
            } else {
                host.onLoop(connLoop) { [host, connAlive] in
                    if connAlive.withLock({ $0 }) { host.table.conn_close(c, 1) }
                }
            }
        }
        conn = nil
        if let l = listener {
            listener = nil
            host.onWorker { [host] in host.table.listener_close(l) }
        }
        payload = nil
        // Stopped before it started: the startSendRtp call still waits for its answer, and there was no
        // sending to report stopped.
        if let answer = onStarted {
            onStarted = nil
            return answer(reason)
        }
        if notify { plugin?.postSendStopped(self, reason: reason) }
    }
}
