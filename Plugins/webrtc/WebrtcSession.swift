import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats
import WebRtcProtocol

/// One WHEP player or WHIP publisher on one loop (the HTTP connection's): auth, a reader of the source (play)
/// or a source of our own (publish), the answer, then ICE-lite checks, the DTLS handshake and SRTP media.
/// Datagrams reach it on its loop through the session table.
final class WebrtcSession: ReaderHandler {
    struct Target {
        let vhost: String?
        let app: String
        let stream: String
        let query: String
        let peer: String
        var style = WebrtcSignalling.AnswerStyle.whip
    }

    enum State: Equatable {
        /// Waiting for the core's auth answer.
        case authorizing
        /// Reader opened, waiting for the source's tracks to build the answer.
        case waitingSource
        /// Answer sent: ICE checks and the DTLS handshake.
        case connecting
        /// DTLS done, SRTP keys in place: media flows.
        case playing
        case closed
    }

    let context: WebrtcContext
    let target: Target
    let loop: Int32
    /// [any loop] Datagrams from other loops' sockets queued to this loop, bounded by WebrtcContext.
    let hopsInFlight = LockedValue(0)
    /// WHIP: the peer sends, we put its media on the bus.
    let publishing: Bool
    /// [loop] Keyframe requests both ways (WebrtcSession+Keyframes): when the publisher was last sent a PLI
    /// and whether a player's request waits for the next one; whether a player still waits for a keyframe.
    var lastPliUs: Int64 = 0
    var pliWanted = false
    var keyframeHandler: KeyframeRequestHandler?
    var needKeyframe = false
    var lastKeyframeAskUs: Int64 = 0
    private(set) var source: OpaquePointer?
    private(set) var ingest: WebrtcIngest?
    private(set) var publisherVideo: (payloadType: UInt8, ssrc: UInt32?)?
    let id: String
    let token: String
    /// [loop] Local ICE credentials and the peer's ufrag: an ICE restart replaces them (WebrtcSession+IceRestart).
    var ufrag: String
    var password: String
    var remoteUfrag: String?
    private let offer: SdpSession
    private weak var signalling: WebrtcSignalling?
    private(set) var state = State.authorizing {
        didSet { publishCounters() }
    }
    /// [loop] This session's numbers (WebrtcSessionCounters), and their copy for the session list on other threads.
    var counters = WebrtcSessionCounters()
    let published = LockedValue(WebrtcSessionCounters())
    private var lastPublishUs: Int64 = 0
    /// The HTTP exchange until it is answered (or the client left).
    private var exchange: OpaquePointer?
    private var exchangeWatch: UnsafeMutableRawPointer?

    var ice = IceLiteAgent()
    private var dtls: DtlsEndpoint?
    private var dtlsStarted = false
    /// Ours for RTP/RTCP out, the peer's for its RTCP in.
    var outbound: SrtpContext?
    private var inbound: SrtpContext?
    /// Where media goes: the pair the last check selected.
    var peer: WebrtcPeerAddress?

    private(set) var reader: OpaquePointer?
    private lazy var box = ReaderBox(self)
    private var keepAlive: WebrtcSession?
    private var timer: OpaquePointer?
    private var timerUser: UnsafeMutableRawPointer?
    private var lastReportUs: Int64 = 0
    /// [loop] Monotonic time of the publisher's last authentic SRTP/SRTCP packet (publisher_timeout_ms).
    private var lastMediaUs: Int64 = 0

    /// Source track index -> what goes out for it.
    var tracks: [Int: WebrtcOutTrack] = [:]
    /// Frames since the last keyframe while the handshake runs, sent once SRTP is ready (the reader starts on
    /// the GOP cache: the first picture shows without a PLI round trip).
    var pending: [(track: Int, packets: [UInt8])] = []
    var pendingBytes = 0
    var batch = UdpBatchBuilder()
    /// [loop] The packet being rewritten and encrypted: one buffer for all, so sending allocates nothing.
    var scratch: [UInt8] = []

    var host: PluginHost { context.host }
    var label: String {
        "webrtc \(publishing ? "publisher" : "player") \(target.app)/\(target.stream) \(publishing ? "from" : "to") \(target.peer) [\(id)]"
    }

    init(context: WebrtcContext, signalling: WebrtcSignalling, target: Target, offer: SdpSession, loop: Int32, exchange: OpaquePointer,
         publishing: Bool) {
        self.context = context
        self.publishing = publishing
        self.signalling = signalling
        self.target = target
        self.offer = offer
        self.loop = loop
        self.exchange = exchange
        var rng = SystemRandomNumberGenerator()
        let credentials = IceCredentials.random(using: &rng)
        ufrag = credentials.ufrag
        password = credentials.password
        id = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        token = String(UInt64.random(in: 1...UInt64.max), radix: 36) + String(UInt64.random(in: 1...UInt64.max), radix: 36)
    }

    /// [loop] Asks the core's auth, then opens the reader.
    func begin() {
        keepAlive = self
        if let ex = exchange {
            // The client may leave before the answer: the exchange is gone then.
            let user = WeakBox.make(self)
            exchangeWatch = user
            host.table.http_on_close(ex, { user in
                guard let user else { return }
                WeakBox<WebrtcSession>.value(user)?.exchangeEnded()
                WeakBox<WebrtcSession>.release(user)
            }, user)
        }
        AuthQuestion(action: publishing ? MR_AUTH_PUBLISH : MR_AUTH_PLAY, vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "webrtc",
                     peer: target.peer, query: target.query).ask(host, loop: loop) { [self] allowed, reason in
            guard state == .authorizing else { return }
            guard allowed else { return fail(403, "\(publishing ? "publish" : "play") denied: \(reason)") }
            if publishing { return publish() }
            state = .waitingSource
            scratch.reserveCapacity(1500)
            let (rc, out) = host.openReader(vhost: target.vhost, app: target.app, stream: target.stream, format: WebrtcRingMuxer.format,
                                            muxer: context.ringMuxers, protocolName: "webrtc", peer: target.peer, loop: loop, box: box)
            guard rc == MR_OK, let out else { return fail(500, "cannot play: \(host.lastError)") }
            reader = out
        }
    }

    private func exchangeEnded() {
        guard exchange != nil else { return }
        exchange = nil
        exchangeWatch = nil
        if state == .authorizing || state == .waitingSource { close("the client left before the answer") }
    }

    /// Answers the HTTP request with an error and ends the session.
    private func fail(_ status: Int32, _ why: String) {
        if let ex = exchange {
            exchange = nil
            signalling?.refused(ex, self, status, why)
        }
        close(why)
    }

    // MARK: answer

    /// [loop] The source's tracks are known: negotiate, answer 201, wait for checks.
    private func answer(_ reader: OpaquePointer) {
        guard state == .waitingSource, exchange != nil else { return }
        var infos: [Int: (Codec, mr_track_info)] = [:]
        for i in 0..<host.table.reader_track_count(reader) {
            if let info = host.trackInfo(reader: reader, i), let codec = CodecMapping.codec(info.codec) { infos[Int(i)] = (codec, info) }
        }
        let video = infos.first { WebrtcVideoCodecs.sendable.contains($0.value.0) }
        let audio = infos.first { [.opus, .pcma, .pcmu].contains($0.value.0) }
        var options = SdpAnswerOptions(role: .send, credentials: IceCredentials(ufrag: ufrag, password: password),
                                       fingerprint: context.certificate.fingerprint, candidates: context.candidates)
        let videoSsrc = UInt32.random(in: 1...UInt32.max - 1), audioSsrc = UInt32.random(in: 1...UInt32.max - 1)
        options.sendSsrcs = ["video": (videoSsrc, videoSsrc &+ 1), "audio": (audioSsrc, audioSsrc &+ 1)]
        options.rtx = context.settings.rtx && context.settings.nack
        if !context.settings.nack { options.feedback.removeAll { $0 == "nack" } }
        options.sessionId = UInt64.random(in: 1...UInt64(Int64.max))
        options.videoCodecs = video.map { WebrtcVideoCodecs.preference(for: $0.value.0, extradata: $0.value.1.extradataBytes) } ?? []
        options.audioCodecs = audio.map { a -> [SdpCodecPreference] in
            switch a.value.0 {
            case .opus: [.opus]
            case .pcma: [.pcma]
            default: [.pcmu]
            }
        } ?? []
        let unsent = infos.filter { $0.key != video?.key && $0.key != audio?.key }.map { $0.value.0.rawValue }
        if !unsent.isEmpty {
            host.log(MR_LOG_INFO, "\(label): \(unsent.joined(separator: ", ")) cannot go to a WebRTC client (no transcoding yet): "
                     + (video != nil ? "playing without it" : "nothing else to play"))
        }
        let result: SdpAnswer
        do { result = try SdpAnswerBuilder.answer(offer, options: options) } catch {
            return fail(video == nil && audio == nil ? 406 : 400, "cannot answer: \(error)"
                        + (unsent.isEmpty ? "" : " (the source has \(unsent.joined(separator: ", ")), which WebRTC cannot carry)"))
        }
        if let v = video, !result.media.contains(where: { $0.kind == "video" }) {
            host.log(MR_LOG_INFO, "\(label): the source's video is \(v.value.0.rawValue), which the client did not offer"
                     + (v.value.0 == .h265 ? " (Chromium 136+ offers H265 where it has a decoder)" : "") + ": playing audio only")
        }
        for n in result.media {
            guard let ssrc = n.localSsrc, let source = n.kind == "video" ? video : audio else { continue }
            let (codec, info) = source.value
            let rate = Int(n.codec.clockRate)
            guard rate == WebrtcRingMuxer.clockRate(codec, info), let clock = RtpClock(rate: rate) else {
                host.log(MR_LOG_WARNING, "\(label): \(n.kind) negotiated at \(rate) Hz, the shared packets are at "
                         + "\(WebrtcRingMuxer.clockRate(codec, info)) Hz: not sent")
                continue
            }
            tracks[source.key] = WebrtcOutTrack(codec: codec, clock: clock, payloadType: n.payloadType, ssrc: ssrc,
                                                firstSequence: UInt16.random(in: 0...UInt16.max),
                                                history: WebrtcSendHistory(capacity: codec.isVideo ? 1024 : 256))
            if let pt = n.rtxPayloadType, let rtxSsrc = n.localRtxSsrc {
                tracks[source.key]?.rtx = RtxStream(payloadType: pt, ssrc: rtxSsrc, firstSequence: UInt16.random(in: 0...UInt16.max))
            }
        }
        connect(result)
    }

    /// [loop] WHIP: claim the stream, answer with what we can put on the bus.
    private func publish() {
        guard let src = host.openSource(vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "webrtc",
                                        peer: target.peer, loop: loop) else {
            return fail(409, "cannot publish \(target.app)/\(target.stream): \(host.lastError)")
        }
        source = src
        var options = SdpAnswerOptions(role: .receive, credentials: IceCredentials(ufrag: ufrag, password: password),
                                       fingerprint: context.certificate.fingerprint, candidates: context.candidates)
        options.videoCodecs = WebrtcVideoCodecs.receivable
        options.rtx = context.settings.rtx && context.settings.nack
        if !context.settings.nack { options.feedback.removeAll { $0 == "nack" } }
        options.sessionId = UInt64.random(in: 1...UInt64(Int64.max))
        let result: SdpAnswer
        do { result = try SdpAnswerBuilder.answer(offer, options: options) } catch {
            return fail(400, "cannot answer: \(error)")
        }
        guard let ingest = WebrtcIngest(host: host, source: src, media: result.media, nack: context.settings.nack) else {
            return fail(400, "no codec to publish")
        }
        self.ingest = ingest
        publisherVideo = result.media.first { $0.kind == "video" }.map { ($0.payloadType, $0.remoteSsrcs.first) }
        takeKeyframeRequests(src)
        connect(result)
    }

    /// Answer made: DTLS and ICE wait for the peer, the HTTP request gets 201.
    private func connect(_ result: SdpAnswer) {
        guard let ex = exchange else { return close("the client left before the answer") }
        guard let d = DtlsEndpoint(certificate: context.certificate, client: result.dtlsClient, remoteFingerprint: result.remoteFingerprint) else {
            return fail(500, "cannot start DTLS")
        }
        dtls = d
        remoteUfrag = result.remoteCredentials.ufrag
        ice.addSession(local: IceCredentials(ufrag: ufrag, password: password), remoteUfrag: remoteUfrag, nowMs: nowMs)
        state = .connecting
        startTimer()
        exchange = nil
        signalling?.answered(ex, self, sdp: result.sdp)
        host.log(MR_LOG_INFO, "\(label): answered (" + result.media.map { "\($0.kind) \($0.codec.encoding)/\($0.payloadType)" }.joined(separator: ", ")
                 + (result.notes.isEmpty ? "" : "; refused: " + result.notes.joined(separator: "; ")) + ")")
    }

    // MARK: datagrams

    var nowMs: Int64 { host.table.now_us() / 1000 }

    /// [loop] One datagram routed to this session.
    func receive(_ bytes: [UInt8], from address: WebrtcPeerAddress) {
        guard state == .connecting || state == .playing else { return }
        counters.received(bytes.count)
        let tuple = FiveTuple(local: context.localAddress, remote: address.transport)
        switch ice.handle(datagram: bytes[...], tuple: tuple, nowMs: nowMs) {
        case .reply(let out, _, let event):
            var selected = false
            if case .selected(_, let pair, _) = event, pair.remote == address.transport {
                // Bound before the reply leaves: the client's first DTLS record, sent as soon as the reply is in,
                // may reach another loop's socket before this one binds, and would wait for its retransmission.
                selected = true
                peer = address
                counters.peer = address.transport.description
                context.table.bind(address.transport, to: self)
            }
            send([out], to: address)
            if selected, let d = dtls, d.isClient, !dtlsStarted {
                dtlsStarted = true
                send(d.start(), to: address)
            }
        case .payload(_, .dtls):
            handleDtls(bytes, from: address)
        case .payload(_, .rtcp):
            handleRtcp(bytes)
        case .payload(_, .rtp):
            guard let ingest, let inbound else { return }
            var packet = bytes
            do { try inbound.unprotectRtp(&packet) } catch {
                host.stat("srtp_rejected", add: 1)
                return
            }
            lastMediaUs = host.table.now_us()
            if packet.count >= 12, let v = publisherVideo, packet[1] & 0x7F == v.payloadType, v.ssrc == nil {
                publisherVideo = (v.payloadType, UInt32(packet[8]) << 24 | UInt32(packet[9]) << 16 | UInt32(packet[10]) << 8 | UInt32(packet[11]))
            }
            ingest.rtp(packet[...], nowUs: host.table.now_us())
        case .payload, .dropped:
            host.stat("datagrams_ignored", add: 1)
        }
    }

    private func handleDtls(_ bytes: [UInt8], from address: WebrtcPeerAddress) {
        guard let d = dtls else { return }
        dtlsStarted = true
        let out = d.handle(bytes[...])
        send(out.send, to: address)
        switch d.state {
        case .connected:
            guard outbound == nil, let keys = d.srtpKeys else { return }
            guard let o = SrtpContext(profile: keys.profile, master: keys.local), let i = SrtpContext(profile: keys.profile, master: keys.remote) else {
                return close("cannot set up SRTP")
            }
            outbound = o
            inbound = i
            counters.srtpProfile = "\(keys.profile)"
            lastMediaUs = host.table.now_us()
            state = .playing
            host.log(MR_LOG_INFO, "\(label): DTLS connected (\(keys.profile)), \(publishing ? "publishing" : "playing")")
            flushPending()
        case .failed(let why):
            close("DTLS failed: \(why)")
        case .closed:
            close("the client closed DTLS")
        case .handshaking:
            break
        }
    }

    private func handleRtcp(_ bytes: [UInt8]) {
        guard let inbound else { return }
        var packet = bytes
        do { try inbound.unprotectRtcp(&packet) } catch {
            host.stat("srtcp_rejected", add: 1)
            return
        }
        lastMediaUs = host.table.now_us()
        for p in WebRtcRtcp.parse(packet[...]) {
            switch p {
            case .senderReport(let sr):
                ingest?.senderReport(ssrc: sr.ssrc, ntpMiddle: sr.ntpTime.middle32, nowUs: host.table.now_us())
            case .nack(let n) where !publishing && context.settings.nack: retransmit(n)
            case .receiverReport(let rr) where !publishing:
                let nowUs = WallClock.microseconds()
                for b in rr.reports where tracks.values.contains(where: { $0.ssrc == b.ssrc }) { counters.receiverReport(b, nowUs: nowUs) }
            case .pictureLossIndication, .fullIntraRequest:
                if !publishing { playerLostPicture() }
            default: break
            }
        }
    }

    /// Datagrams to one address on this loop's socket, in one batch.
    func send(_ datagrams: [[UInt8]], to address: WebrtcPeerAddress) {
        guard !datagrams.isEmpty, Int(loop) < context.sockets.count else { return }
        address.withSockaddr { sa in
            for d in datagrams {
                batch.begin(to: sa, length: address.length)
                batch.inline(d)
                counters.sent(d.count)
            }
        }
        batch.send(host, context.sockets[Int(loop)])
    }

    // MARK: timers and reader events

    private func startTimer() {
        let user = WeakBox.make(self)
        timerUser = user
        timer = host.table.timer_start(host.host, loop, 20, 20, { user, _ in
            WeakBox<WebrtcSession>.value(user)?.tick()
        }, user)
    }

    /// [loop] Every 20 ms: DTLS retransmission, ICE consent, sender reports.
    private func tick() {
        let now = nowMs
        for event in ice.tick(nowMs: now) {
            if case .failed(_, let why) = event { return close("ICE: \(why)") }
        }
        let timeoutMs = Int64(context.settings.publisherTimeoutMs)
        if publishing, state == .playing, host.table.now_us() - lastMediaUs >= timeoutMs * 1000 {
            return close("no media from the publisher for \(timeoutMs) ms")
        }
        if let d = dtls, d.state == .handshaking, dtlsStarted, let delay = d.retransmitDelayMicros(), delay <= 0, let p = peer {
            send(d.handleTimeout(), to: p)
        }
        let nowUs = WallClock.microseconds()
        if state == .playing, !publishing, nowUs - lastReportUs >= 1_000_000 {
            lastReportUs = nowUs
            sendReports(nowUs: nowUs)
        }
        if state == .playing, let ingest, let outbound, let p = peer {
            // Publisher: NACKs as soon as a hole shows (and their retries), a receiver report every second.
            let monotonicUs = host.table.now_us()
            var out = ingest.nacks(nowUs: monotonicUs)
            if !out.isEmpty { host.stat("nack_sent", add: Int64(out.count)) }
            if nowUs - lastReportUs >= 1_000_000 {
                lastReportUs = nowUs
                if let rr = ingest.receiverReport(nowUs: monotonicUs) { out.append(rr) }
            }
            let protected = out.compactMap { packet -> [UInt8]? in
                var packet = packet
                return (try? outbound.protectRtcp(&packet)) != nil ? packet : nil
            }
            send(protected, to: p)
        }
        keyframeTick(nowUs: nowUs)
        if nowUs - lastPublishUs >= 500_000 { publishCounters() }
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            answer(reader)
            // The GOP cache's frames follow in this turn; the next tick asks the publisher if no keyframe came.
            needKeyframe = true
        case MR_READER_NOT_FOUND:
            self.reader = nil
            fail(404, "stream \(target.app)/\(target.stream) not found")
        case MR_READER_ENDED:
            self.reader = nil
            close("the stream ended")
        case MR_READER_SKIPPED:
            pending.removeAll()
            pendingBytes = 0
            needKeyframe = true
        case MR_READER_CLOSED:
            self.reader = nil
            close("reader closed")
        default:
            break
        }
    }

    /// [loop] Copies the counters (and the ingest's) for the session list.
    func publishCounters() {
        counters.state = "\(state)"
        if let ingest {
            let n = ingest.nackSummary
            (counters.rtpIn, counters.lost, counters.rtxIn) = (ingest.packetsIn, ingest.lost, ingest.retransmissionsIn)
            (counters.nacksOut, counters.recovered) = (n.requested, n.recovered)
        }
        lastPublishUs = WallClock.microseconds()
        let copy = counters
        published.withLock { $0 = copy }
    }

    /// [loop] Ends the session: reader, timer, table entry; idempotent.
    func close(_ why: String) {
        guard state != .closed else { return }
        let wasAnswered = state == .connecting || state == .playing
        state = .closed
        if let ex = exchange {
            exchange = nil
            signalling?.refused(ex, self, 500, why)
        }
        if let r = reader {
            reader = nil
            host.table.reader_close(r)
        }
        if let src = source {
            source = nil
            host.table.source_close(src)
            releaseKeyframeRequests()
            if let ingest {
                let n = ingest.nackSummary
                host.log(MR_LOG_INFO, "\(label): \(ingest.packetsIn) RTP packets in, \(ingest.lost) gaps (\(ingest.videoLost) in video); NACKed \(n.requested) "
                         + "(\(n.recovered) recovered, \(n.abandoned) given up), \(ingest.retransmissionsIn) RTX packets")
            }
        }
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
        if let u = timerUser { WeakBox<WebrtcSession>.release(u) }
        timerUser = nil
        context.table.remove(self)
        pending.removeAll()
        host.log(MR_LOG_INFO, "\(label) ended: \(why)\(wasAnswered ? "" : " (before the answer)")")
        if let k = keepAlive {
            keepAlive = nil
            host.release(k, onLoop: loop)
        }
    }
}
