import BusMedia
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats
import RtspProtocol

/// One RTSP connection of a client that plays (DESCRIBE, SETUP, PLAY) or publishes (ANNOUNCE, SETUP,
/// RECORD), with RTP over the connection, over UDP or (players) multicast. Runs on its connection's loop.
///
/// Requests are handled one at a time in arrival order: a request that waits (auth, a stream that is not
/// published yet) holds the ones behind it.
///
/// A connection that starts with an HTTP GET or POST is one half of an RTSP-over-HTTP tunnel: the GET's
/// session is the RTSP session (replies and RTP go out on it), the POST's only decodes the client's base64
/// requests and hands them to the GET's session on its loop.
final class RtspServerSession: ConnectionHandler, ReaderHandler, RtspUdpReceiver {
    private unowned let plugin: RtspPlugin
    private let core: SessionCore
    private var host: PluginHost { core.host }
    private var settings: RtspSettings { plugin.settings }
    var conn: OpaquePointer { core.conn }
    private var peer: String { core.peer }
    private var loop: Int32 { core.loop }
    /// Bodies are SDP only (64 KB at most), not the parser's 1 MB default.
    private var parser = RtspStreamParser(maxBodyBytes: 64 * 1024)
    private var closing: Bool { core.isClosing }
    private let sessionId = RtspServerSession.randomHex(8)
    private let nonce = RtspServerSession.randomHex(16)
    private var state = RtspSessionState.initial
    private var role: RtspSessionState.Role { state.role }
    private enum Input {
        case undecided
        case rtsp
        case tunnelGet(cookie: String)
        case tunnelPost(RtspTunnels.Target, RtspTunnelDecoder)
    }
    private var input = Input.undecided
    private var head: [UInt8] = []
    private var path: RtspStreamPath?
    private var contentBase = ""
    private var queue: [RtspMessage] = []
    private var busy = false
    /// A seek was answered: frames are dropped until the source's first frame after it.
    private var awaitingSeek = false
    private var seekAskedUs: Int64 = 0
    private var transports: [Int: RtspTrackTransport] = [:]
    private var lastActivityUs: Int64 = 0
    /// When the message being received began (or the connection opened, before its first message); nil while
    /// nothing is half-received. A slowloris client that drips a request never completes one, so this never
    /// resets for it, whatever the session timeout says.
    private var partialSinceUs: Int64?
    private var ticks = 0
    private var badChannelLogged = false

    // Playing
    private var reader: OpaquePointer?
    private var describing: RtspMessage?
    private var playTracks: [Int: RtspPlaySdp.Track] = [:]
    private var output = RtspPlayOutput()
    private lazy var readerBox = ReaderBox(self)
    private var multicastGroup: RtspMulticast.Group?

    // Publishing
    private var source: OpaquePointer?
    private var ingest: RtspIngest?
    private var announced: [SdpTrack] = []
    private var channels: [UInt8: (slot: Int, rtcp: Bool)] = [:]
    /// Players' keyframe requests (ABI 1.4) reach this session; PLIs at most every 500 ms.
    private var keyframeHandler: KeyframeRequestHandler?
    private var lastPliUs: Int64 = 0

    init(plugin: RtspPlugin, conn: OpaquePointer) {
        self.plugin = plugin
        core = SessionCore(host: plugin.host, conn: conn, gauge: "sessions")
    }

    /// Moves to `next` when that is a transition the protocol allows; anything else is a bug, said once.
    private func enter(_ next: RtspSessionState) {
        guard state.canMove(to: next) else {
            host.log(MR_LOG_ERROR, "session \(peer): no transition from \(state) to \(next) (a bug); state kept")
            assertionFailure("RTSP session state \(state) -> \(next)")
            return
        }
        state = next
    }

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }

    // MARK: connection

    func opened(_ conn: OpaquePointer) {
        core.opened()
        lastActivityUs = host.table.now_us()
        partialSinceUs = lastActivityUs
        core.startTimer(afterMs: 1000, everyMs: 1000) { [unowned self] in tick() }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        core.countIn(bytes.count)
        switch input {
        case .rtsp:
            feed(bytes)
        case .undecided:
            decide(bytes)
        case .tunnelGet:
            break   // the client sends nothing more on the GET half
        case .tunnelPost(let target, var decoder):
            lastActivityUs = host.table.now_us()
            guard let decoded = decoder.decode(bytes) else { return fail("bad base64 in the RTSP-over-HTTP tunnel") }
            input = .tunnelPost(target, decoder)
            if !decoded.isEmpty { plugin.tunnels.forward(decoded, to: target) }
        }
    }

    /// RTSP, or the HTTP request of a tunnel half: decided on the first bytes.
    private func decide(_ bytes: UnsafeRawBufferPointer) {
        head.append(contentsOf: bytes)
        let prefixes = [Array("GET ".utf8), Array("POST ".utf8)]
        if head.count < 5, prefixes.contains(where: { $0.starts(with: head) }) { return }
        guard RtspTunnelRequest.looksLikeHTTP(head[...]) else {
            input = .rtsp
            let first = head
            head = []
            return first.withUnsafeBytes { feed($0) }
        }
        let request: RtspTunnelRequest
        do {
            guard let r = try RtspTunnelRequest.parse(head) else { return }
            request = r
        } catch {
            host.send(conn, Array("HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n".utf8))
            return fail("bad RTSP-over-HTTP request: \(error)")
        }
        head = []
        switch request.method {
        case .get:
            guard plugin.tunnels.register(request.cookie, self, loop: loop) else {
                host.send(conn, Array("HTTP/1.0 409 Conflict\r\nConnection: close\r\n\r\n".utf8))
                return fail("RTSP-over-HTTP session cookie '\(request.cookie)' is already in use")
            }
            input = .tunnelGet(cookie: request.cookie)
            partialSinceUs = nil
            host.send(conn, RtspTunnelRequest.getResponse)
        case .post:
            guard let target = plugin.tunnels.target(request.cookie) else {
                host.send(conn, Array("HTTP/1.0 404 Not Found\r\nConnection: close\r\n\r\n".utf8))
                return fail("RTSP-over-HTTP POST for an unknown session cookie")
            }
            input = .tunnelPost(target, RtspTunnelDecoder())
            partialSinceUs = nil   // base64 of the GET session's requests, which that session times
            if !request.rest.isEmpty { request.rest.withUnsafeBytes { received(conn, $0) } }
        }
    }

    /// Requests that came through the POST half of this session's tunnel (on this session's loop).
    func tunnelled(_ bytes: [UInt8]) {
        guard !closing else { return }
        bytes.withUnsafeBytes { feed($0) }
    }

    private func feed(_ bytes: UnsafeRawBufferPointer) {
        parser.append(bytes)
        do {
            while !closing, let input = try parser.next() {
                partialSinceUs = parser.bufferedByteCount > 0 ? host.table.now_us() : nil
                switch input {
                case .message(let m):
                    lastActivityUs = host.table.now_us()
                    guard m.isRequest else { continue }   // a response to nothing we sent
                    queue.append(m)
                    guard queue.count <= 32 else { return fail("more than 32 requests queued unanswered") }
                case .interleaved(let channel, let payload):
                    interleaved(channel, payload)
                }
            }
        } catch {
            host.log(MR_LOG_WARNING, "session \(peer): \(error)")
            reply(RtspMessage.response(status: 400, cseq: nil))
            return fail("bad RTSP input")
        }
        if partialSinceUs == nil, parser.bufferedByteCount > 0 { partialSinceUs = host.table.now_us() }
        drainQueue()
    }

    func writabilityChanged(_ conn: OpaquePointer, writable: Bool) {
        guard state == .playing(paused: false) else { return }   // PAUSE: backpressure must not resume the reader
        let timeoutMs = settings.stallTimeoutMs
        core.writabilityChanged(reader: reader, writable: writable, stallTimeoutMs: timeoutMs) { [weak self] in
            self?.fail("player stopped reading for \(timeoutMs) ms")
        }
    }

    func closed(reason: Int32, message: String) {
        state = .closed
        plugin.udpPorts(loop: loop)?.unroute(self)
        if case .tunnelGet(let cookie) = input { plugin.tunnels.remove(cookie, self) }
        stopPlaying()
        stopPublishing()
        core.closed(message: message, logged: true)
    }

    private func fail(_ why: String) {
        core.fail(why)
        enter(.closed)
    }

    /// Closes without a failure: TEARDOWN, or the stream ended.
    private func close() {
        core.close()
        enter(.closed)
    }

    private func reply(_ m: RtspMessage) { core.send(m.serialize()) }

    private func respond(_ request: RtspMessage, _ status: Int, _ headers: [(String, String)] = [], body: [UInt8] = [], reason: String? = nil) {
        var h = headers
        h.append(("Server", "MediaRouter"))
        if role != .none || !transports.isEmpty { h.append(("Session", "\(sessionId);timeout=\(settings.sessionTimeoutMs / 1000)")) }
        reply(RtspMessage.response(status: status, reason: reason, cseq: request.cseq, headers: h, body: body))
    }

    /// Once a second: a session that went quiet is closed (one that neither plays nor records, a publisher
    /// whose RTP stopped, a UDP player without RTCP or requests), and players get sender reports every 5 s.
    private func tick() {
        ticks += 1
        if let since = partialSinceUs, host.table.now_us() - since > Int64(settings.headerTimeoutMs) * 1000 {
            return fail("no whole request within \(settings.headerTimeoutMs) ms")
        }
        let quiet = host.table.now_us() - lastActivityUs > Int64(settings.sessionTimeoutMs) * 1000
        let watched = state == .recording || !state.isPlaying || transports.values.contains { !$0.isTcp }
        if quiet, watched {
            return fail("nothing received for \(settings.sessionTimeoutMs / 1000) s")
        }
        if state.isPlaying, ticks % 5 == 0 { output.reportAll(host, conn: conn, udp: plugin.udpPorts(loop: loop)) }
        if state == .recording, ticks % 5 == 0, let ingest { sendReceiverReports(ingest) }
    }

    // MARK: requests

    private func drainQueue() {
        while !busy, !closing, !queue.isEmpty {
            handle(queue.removeFirst())
        }
    }

    /// Ends a request that waited; the next queued one runs.
    private func finished() {
        busy = false
        drainQueue()
    }

    private func handle(_ r: RtspMessage) {
        guard r.cseq != nil else { return respond(r, 400, reason: "Missing CSeq") }
        guard r.version.uppercased() == "RTSP/1.0" else { return respond(r, 505) }
        if let s = r.header("Session"), let id = RtspSessionHeader(parsing: s)?.id, id != sessionId, role != .none {
            return respond(r, 454)
        }
        switch r.method ?? "" {
        case "OPTIONS":
            respond(r, 200, [("Public", "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER")])
        case "DESCRIBE": describe(r)
        case "ANNOUNCE": announce(r)
        case "SETUP": setup(r)
        case "PLAY": play(r)
        case "PAUSE": pause(r)
        case "RECORD": record(r)
        case "TEARDOWN":
            respond(r, 200)
            stopPlaying()
            stopPublishing()
            close()
        case "GET_PARAMETER", "SET_PARAMETER":
            respond(r, 200)
        default:
            respond(r, 501)
        }
    }

    /// Stream path of a request, or a 400 answered.
    private func streamPath(_ r: RtspMessage) -> RtspStreamPath? {
        guard let p = RtspStreamPath(uri: r.uri ?? "") else {
            respond(r, 400, reason: "Bad Stream Path")
            host.log(MR_LOG_WARNING, "session \(peer): \(r.method ?? "") of '\(r.uri ?? "")': not rtsp://host/app/stream")
            return nil
        }
        return p
    }

    // MARK: auth

    /// Checks the client's credentials (when this action needs them), then asks the core; `done` runs with
    /// the request allowed, otherwise the request was answered with 401 or 403.
    private func authorize(_ r: RtspMessage, _ p: RtspStreamPath, publish: Bool, _ done: @escaping () -> Void) {
        var user: String?, password: String?
        if settings.requiresAuth(publish: publish) {
            switch RtspCredentialCheck.check(r, settings: settings, nonce: nonce) {
            case .allowed(let u, let pw):
                user = u
                password = pw
            case .challenge(let headers, let why):
                if let why { host.log(MR_LOG_WARNING, "session \(peer): \(r.method ?? "") \(p.app)/\(p.stream): \(why)") }
                return respond(r, 401, headers)
            }
        }
        busy = true
        AuthQuestion(action: publish ? MR_AUTH_PUBLISH : MR_AUTH_PLAY, vhost: p.vhost, app: p.app, stream: p.stream,
                     protocolName: "rtsp", peer: peer, query: p.query, user: user, password: password)
            .ask(host, loop: loop) { [weak self] allowed, reason in
                guard let self, !self.closing else { return }
                guard allowed else {
                    self.host.log(MR_LOG_WARNING, "\(publish ? "publish" : "play") of \(p.app)/\(p.stream) by \(self.peer) denied: \(reason)")
                    self.respond(r, 403)
                    return self.finished()
                }
                done()
            }
    }

    // MARK: play

    private func describe(_ r: RtspMessage) {
        guard role != .publisher else { return respond(r, 455) }
        guard let p = streamPath(r) else { return }
        if role == .player {
            // Again on the same connection: the same stream is described again, another one is refused.
            guard let current = path, current.app == p.app, current.stream == p.stream, current.vhost == p.vhost, reader != nil else {
                return respond(r, 455, reason: "One Stream Per Connection")
            }
            busy = true
            return describeStarted(r, name: "\(p.app)/\(p.stream)")
        }
        authorize(r, p, publish: false) { [self] in
            path = p
            contentBase = RtspStreamPath.contentBase(r.uri ?? "")
            describing = r
            enter(.described)
            let (rc, out) = host.openReader(vhost: p.vhost, app: p.app, stream: p.stream, format: "rtsp", muxer: plugin,
                                            protocolName: "rtsp", peer: peer, loop: loop, box: readerBox)
            guard rc == MR_OK else {
                host.log(MR_LOG_WARNING, "DESCRIBE \(p.app)/\(p.stream) failed: \(host.lastError)")
                describing = nil
                if state == .described { enter(.initial) }
                respond(r, 404)
                return finished()
            }
            if reader == nil { reader = out }   // STARTED may have come inside the call
            // The answer is sent when the reader starts (tracks known) or is not found.
        }
    }

    private func describeHeaders(_ r: RtspMessage) -> [(String, String)] {
        [("Content-Base", contentBase), ("Content-Type", "application/sdp")]
    }

    /// The SDP of the tracks this player can get.
    private func playSdp(durationMs: Int64?) -> [UInt8]? {
        guard let reader, let d = RtspPlaySdp(host: host, reader: reader, sessionName: path.map { "\($0.app)/\($0.stream)" } ?? "-",
                                              durationMs: durationMs)
        else { return nil }
        playTracks = d.tracks
        return d.sdp
    }

    private func play(_ r: RtspMessage) {
        guard state == .setUp(.player) || state.isPlaying, reader != nil, output.trackCount > 0 || multicastGroup != nil else {
            return respond(r, 455)
        }
        // A Range is a seek when it names a time and is not the "from the start" of a first PLAY. Only a stream
        // whose publisher can seek (a VOD file) answers it; a live stream just plays on.
        if case .seconds(let t)? = r.header("Range").flatMap(RtspRange.init(parsing:))?.start, t > 0 || state.isPlaying,
           let p = path, host.hasCommands {
            busy = true
            // Set before asking: the source's first frame after the seek may reach this loop before the answer.
            awaitingSeek = true
            seekAskedUs = host.table.now_us()
            let args: [String: Any] = ["vhost": p.vhost ?? "", "app": p.app, "stream": p.stream, "position_ms": Int64(t * 1000)]
            let asked = host.callCommand("mp4.vod.seek", args, loop: loop) { [weak self] status, reply in
                guard let self, !self.closing else { return }
                if status == MR_OK, let ms = JSONNumber.int64(reply["position_ms"]) {
                    self.startPlay(r, npt: Double(ms) / 1000)
                } else {
                    self.awaitingSeek = false
                    self.startPlay(r, npt: 0)
                }
                self.finished()
            }
            if asked { return }
            awaitingSeek = false
            busy = false
        }
        startPlay(r, npt: 0)
    }

    /// Answers a DESCRIBE of a started reader; the session is busy until then. A VOD file has a length to
    /// announce (asked of the mp4 plugin through `mp4.vod.info`); a live stream has none.
    private func describeStarted(_ r: RtspMessage, name: String) {
        let args: [String: Any] = ["vhost": path?.vhost ?? "", "app": path?.app ?? "", "stream": path?.stream ?? ""]
        let asked = host.hasCommands && host.callCommand("mp4.vod.info", args, loop: loop) { [weak self] status, reply in
            guard let self, !self.closing else { return }
            self.answerDescribe(r, name: name, durationMs: status == MR_OK ? JSONNumber.int64(reply["duration_ms"]) : nil)
        }
        if !asked { answerDescribe(r, name: name, durationMs: nil) }
    }

    private func answerDescribe(_ r: RtspMessage, name: String, durationMs: Int64?) {
        if let sdp = playSdp(durationMs: durationMs) {
            respond(r, 200, describeHeaders(r), body: sdp)
        } else {
            host.log(MR_LOG_WARNING, "DESCRIBE \(name): no track RTSP can carry")
            respond(r, 415, reason: "No Playable Track")
        }
        finished()
    }

    private func startPlay(_ r: RtspMessage, npt: Double) {
        guard let reader else { return respond(r, 455) }
        let info = playTracks.keys.sorted().filter { transports[$0] != nil }.map { "url=\(contentBase)trackID=\($0)" }.joined(separator: ",")
        respond(r, 200, [("Range", RtspRange(start: .seconds(npt)).format()), ("RTP-Info", info)])
        let wasPlaying = state.isPlaying
        enter(.playing(paused: false))
        if !wasPlaying {
            host.log(MR_LOG_INFO, "play \(path.map { "\($0.app)/\($0.stream)" } ?? "?") to \(peer) over \(transportName)")
        }
        if let g = multicastGroup { plugin.multicast?.play(g) }
        host.table.reader_set_paused(reader, multicastGroup != nil && output.trackCount == 0 ? 1 : 0)
    }

    private var transportName: String {
        if multicastGroup != nil { return "multicast" }
        if case .tunnelGet = input { return "HTTP tunnel" }
        return transports.values.contains { $0.isTcp } ? "TCP" : "UDP"
    }

    private func pause(_ r: RtspMessage) {
        guard let reader, role == .player else { return respond(r, role == .publisher ? 200 : 455) }
        // Before PLAY the reader is paused already; a player's PAUSE holds it until the next PLAY.
        if state.isPlaying { enter(.playing(paused: true)) }
        host.table.reader_set_paused(reader, 1)
        respond(r, 200)
    }

    private func stopPlaying() {
        if let reader { host.table.reader_close(reader) }
        reader = nil
        if let g = multicastGroup { plugin.multicast?.leave(g) }
        multicastGroup = nil
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard state.isPlaying else { return }
        var frames = frames
        if awaitingSeek {
            // Frames still queued from before the seek are not sent: the player's timeline restarts at the Range
            // answered, with the first frame the source sent after seeking (marked as a discontinuity). A source
            // that never marks one does not stall the player for more than two seconds.
            let mark = UInt32(MR_FRAME_DISCONTINUITY)
            let expired = host.table.now_us() - seekAskedUs > 2_000_000
            guard let i = frames.firstIndex(where: { $0.flags & mark != 0 }) ?? (expired ? 0 : nil) else { return }
            awaitingSeek = false
            frames = UnsafeBufferPointer(rebasing: frames[i...])
        }
        core.countOut(output.send(host, conn: conn, udp: plugin.udpPorts(loop: loop), frames))
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        let name = path.map { "\($0.app)/\($0.stream)" } ?? "?"
        switch event {
        case MR_READER_STARTED:
            self.reader = reader
            host.table.reader_set_paused(reader, 1)   // until PLAY
            guard let r = describing else { return }
            describing = nil
            describeStarted(r, name: name)
        case MR_READER_NOT_FOUND:
            self.reader = nil
            if state == .described { enter(.initial) }
            if let r = describing {
                describing = nil
                host.log(MR_LOG_INFO, "DESCRIBE \(name) from \(peer): stream not found")
                respond(r, 404)
                finished()
            }
        case MR_READER_ENDED:
            self.reader = nil
            host.log(MR_LOG_INFO, "play \(name) to \(peer): the stream ended")
            close()
        case MR_READER_SKIPPED:
            host.log(MR_LOG_INFO, "player \(peer) of \(name) fell behind: skipped \(detail) frames to the newest keyframe")
        case MR_READER_CLOSED:
            self.reader = nil
        default:
            break
        }
    }

    // MARK: publish

    private func announce(_ r: RtspMessage) {
        guard role == .none else { return respond(r, 455) }
        guard let p = streamPath(r) else { return }
        let sdpText = String(decoding: r.body, as: UTF8.self)
        let description: SessionDescription
        do { description = try SessionDescription(parsing: sdpText) } catch {
            host.log(MR_LOG_WARNING, "ANNOUNCE \(p.app)/\(p.stream) from \(peer): bad SDP: \(error)")
            return respond(r, 400, reason: "Bad SDP")
        }
        guard description.tracks.contains(where: { $0.codec != nil }) else {
            host.log(MR_LOG_WARNING, "ANNOUNCE \(p.app)/\(p.stream) from \(peer): no supported codec in the SDP")
            return respond(r, 415)
        }
        authorize(r, p, publish: true) { [self] in
            let out = host.openSource(vhost: p.vhost, app: p.app, stream: p.stream, protocolName: "rtsp", peer: peer, loop: loop,
                                      takeover: settings.takeover)
            guard let out else {
                host.log(MR_LOG_WARNING, "ANNOUNCE \(p.app)/\(p.stream) from \(peer) refused: \(host.lastError)")
                respond(r, 406, reason: "Stream Already Published")
                return finished()
            }
            path = p
            enter(.announced)
            contentBase = RtspStreamPath.contentBase(r.uri ?? "")
            source = out
            announced = description.tracks
            host.log(MR_LOG_DEBUG, "ANNOUNCE \(p.app)/\(p.stream): " + description.tracks.map {
                "\($0.mediaType) \($0.encodingName)/\($0.clockRate) pt \($0.payloadType) config \($0.config.count) bytes control \($0.control ?? "-")"
            }.joined(separator: "; "))
            ingest = RtspIngest(host: host, source: out, tracks: description.tracks, label: "publisher \(peer) of \(p.app)/\(p.stream)")
            keyframeHandler = host.onKeyframeRequest(source: out) { [weak self] in self?.publisherWantsKeyframe() }
            respond(r, 200)
            finished()
        }
    }

    private func record(_ r: RtspMessage) {
        guard state == .setUp(.publisher) || state == .recording, !transports.isEmpty else { return respond(r, 455) }
        enter(.recording)
        respond(r, 200)
        let name = path.map { "\($0.app)/\($0.stream)" } ?? "?"
        host.log(MR_LOG_INFO, "publish \(name) from \(peer) over \(transportName), \(announced.compactMap { $0.codec?.rawValue }.joined(separator: "+"))")
    }

    private func stopPublishing() {
        if let ingest, let p = path { host.log(MR_LOG_INFO, "publish \(p.app)/\(p.stream) from \(peer) ended: \(ingest.summary)") }
        if let source { host.table.source_close(source) }
        source = nil
        ingest = nil
        // After source_close on this loop the core calls the handler no more.
        keyframeHandler?.release()
        keyframeHandler = nil
    }

    /// A player needs a picture: RTCP PLI (RFC 4585 6.3.1) to the publisher on each video track's RTCP channel
    /// or port. Encoders that read RTCP feedback (GStreamer's rtspclientsink) answer with a keyframe.
    private func publisherWantsKeyframe() {
        let now = host.table.now_us()
        guard state == .recording, let ingest, now - lastPliUs >= 500_000 else { return }
        lastPliUs = now
        let plis = ingest.pictureLossIndications()
        for (slot, pli) in plis { sendRtcp(slot, pli) }
        if !plis.isEmpty { host.stat("pli_sent", add: Int64(plis.count)) }
    }

    private func interleaved(_ channel: UInt8, _ payload: ArraySlice<UInt8>) {
        guard role == .publisher else { return }   // RTCP receiver reports of players: nothing to do with them
        guard let route = channels[channel] else {
            if !badChannelLogged {
                badChannelLogged = true
                host.log(MR_LOG_WARNING, "session \(peer): interleaved data on channel \(channel), which no SETUP gave; dropped")
            }
            return
        }
        guard state == .recording else { return }
        lastActivityUs = host.table.now_us()
        if route.rtcp { return ingest?.rtcp(slot: route.slot, payload) ?? () }
        ingest?.rtp(slot: route.slot, payload, reorder: false)
        endIfClosedByBus()
    }

    func udpRtp(slot: Int, _ bytes: ArraySlice<UInt8>) {
        lastActivityUs = host.table.now_us()
        guard state == .recording else { return }
        ingest?.rtp(slot: slot, bytes, reorder: true)
        endIfClosedByBus()
    }

    /// A publisher whose stream was closed by the API or taken over is disconnected, not left sending.
    private func endIfClosedByBus() {
        if ingest?.closedByBus == true { fail("publish ended: the stream was closed or taken over") }
    }

    func udpRtcp(slot: Int, _ bytes: ArraySlice<UInt8>) {
        lastActivityUs = host.table.now_us()
        if role == .publisher { ingest?.rtcp(slot: slot, bytes) }
    }

    /// Receiver reports to the publisher, on each track's RTCP channel or port.
    private func sendReceiverReports(_ ingest: RtspIngest) {
        for (slot, rr) in ingest.receiverReports() { sendRtcp(slot, rr) }
    }

    private func sendRtcp(_ slot: Int, _ packet: [UInt8]) {
        switch transports[slot] {
        case .tcp(_, let rtcp)?:
            host.send(conn, [0x24, rtcp, UInt8(truncatingIfNeeded: packet.count >> 8), UInt8(truncatingIfNeeded: packet.count)] + packet)
        case .udp(_, let peer)?:
            plugin.udpPorts(loop: loop)?.send(packet, to: peer, rtcp: true)
        default:
            break
        }
    }

    // MARK: setup

    private func setup(_ r: RtspMessage) {
        guard role != .none else { return respond(r, 455, reason: "DESCRIBE or ANNOUNCE First") }
        guard let header = r.header("Transport") else { return respond(r, 461) }
        let specs = RtspTransport.parseList(header)
        guard !specs.isEmpty else {
            return respond(r, 461)
        }
        guard let slot = setupTrack(r.uri ?? "") else {
            host.log(MR_LOG_WARNING, "SETUP \(r.uri ?? "") from \(peer): no such track")
            return respond(r, 404)
        }
        for spec in specs {
            if let answer = accept(spec, slot: slot) {
                transports[slot] = answer.transport
                if state == .described || state == .announced { enter(.setUp(role)) }
                return respond(r, 200, [("Transport", answer.header)])
            }
        }
        host.log(MR_LOG_WARNING, "SETUP from \(peer): none of the transports '\(header)' is allowed here")
        respond(r, 461)
    }

    /// The track a SETUP URL names: our own "trackID=N" for players, the SDP's control for publishers.
    private func setupTrack(_ uri: String) -> Int? {
        if role == .player {
            let index = RtspStreamPath.trackNumber(uri) ?? (playTracks.count == 1 ? playTracks.keys.first : nil)
            return index.flatMap { playTracks[$0] != nil ? $0 : nil }
        }
        for (i, t) in announced.enumerated() where t.codec != nil {
            if let c = t.control, RtspURL.resolve(control: c, base: contentBase) == uri || uri.hasSuffix("/" + c) { return i }
        }
        // No control matched: the n-th SETUP takes the n-th supported track.
        let supported = announced.indices.filter { announced[$0].codec != nil && transports[$0] == nil }
        return supported.first
    }

    private func accept(_ spec: RtspTransport, slot: Int) -> (transport: RtspTrackTransport, header: String)? {
        var reply = spec
        if spec.lowerTransport == .tcp {
            guard settings.transports.contains(.tcp) else { return nil }
            let rtp = spec.interleaved?.first ?? Int(RtspPayloadTypes.channel(track: slot))
            let rtcp = spec.interleaved?.second ?? rtp + 1
            guard (0...255).contains(rtp), (0...255).contains(rtcp) else { return nil }
            reply.interleaved = RtspPair(rtp, rtcp)
            if role == .publisher {
                channels[UInt8(rtp)] = (slot, false)
                channels[UInt8(rtcp)] = (slot, true)
            } else if let t = playTracks[slot] {
                output.add(track: slot, transport: .tcp(rtp: UInt8(rtp), rtcp: UInt8(rtcp)), clockRate: t.clockRate)
            }
            return (.tcp(rtp: UInt8(rtp), rtcp: UInt8(rtcp)), reply.format())
        }
        if spec.multicast {
            guard settings.transports.contains(.multicast), role == .player, let p = path, let mc = plugin.multicast else { return nil }
            if multicastGroup == nil { multicastGroup = mc.join(p, loop: loop) }
            guard let g = multicastGroup else { return nil }
            reply.destination = g.address
            reply.port = RtspPair(g.port(track: slot), g.port(track: slot) + 1)
            reply.ttl = settings.multicastTTL
            reply.clientPort = nil
            return (.multicast(group: g.address, port: g.port(track: slot)), reply.format())
        }
        guard settings.transports.contains(.udp), let ports = plugin.udpPorts(loop: loop), let client = spec.clientPort,
              let rtpPeer = UdpPeer(ip: UdpPeer.host(ofPeer: peer), port: UInt16(clamping: client.first)),
              let rtcpPeer = UdpPeer(ip: UdpPeer.host(ofPeer: peer), port: UInt16(clamping: client.second ?? client.first + 1)) else { return nil }
        reply.serverPort = RtspPair(Int(ports.rtpPort), Int(ports.rtcpPort))
        if role == .publisher {
            guard ports.route(rtpPeer, to: self, slot: slot, rtcp: false), ports.route(rtcpPeer, to: self, slot: slot, rtcp: true) else {
                host.log(MR_LOG_WARNING, "SETUP from \(peer): client ports \(client) are taken by another session")
                return nil
            }
        } else if let t = playTracks[slot] {
            guard ports.route(rtcpPeer, to: self, slot: slot, rtcp: true) else { return nil }
            output.add(track: slot, transport: .udp(rtp: rtpPeer, rtcp: rtcpPeer), clockRate: t.clockRate)
        }
        return (.udp(rtp: rtpPeer, rtcp: rtcpPeer), reply.format())
    }
}
