import MRPluginKit
import PluginABI
import RtpFormats
import RtspProtocol

/// One connection of a proxy. Pull: OPTIONS, DESCRIBE, SETUP of each track RTP can carry, PLAY, then the
/// RTP goes into a bus source, with GET_PARAMETER keep-alives. Push: reads the bus stream, then ANNOUNCE,
/// SETUP (record, interleaved), RECORD, and sends the "rtsp" ring like a TCP player.
/// A 401 is answered once per request with the URL's credentials (Digest or Basic).
final class RtspClientSession: ConnectionHandler, ReaderHandler, RtspUdpReceiver {
    private enum Step { case options, describe, setup(Int), play, announce, record, streaming }

    let proxy: RtspProxy
    let conn: OpaquePointer
    private var host: PluginHost { proxy.host }
    private let loop: Int32
    private var step = Step.options
    private var parser = RtspStreamParser()
    private var cseq = 0
    private var session: String?
    private var sessionTimeoutS = 60
    private var authenticator: RtspClientAuthenticator?
    private var retriedAuth = false
    private var last: (method: String, uri: String, headers: [(String, String)], body: [UInt8])?
    private var closing = false
    private var failure = ""
    private var timer: OpaquePointer?
    private lazy var timerUser: UnsafeMutableRawPointer = WeakBox.make(self)
    private var lastMediaUs: Int64 = 0
    private var ticks = 0
    private var contentBase = ""
    private var slots: [Int] = []     // SDP tracks (pull) or bus tracks (push) in SETUP order

    // Pull
    private var tracks: [SdpTrack] = []
    private var source: OpaquePointer?
    private var ingest: RtspIngest?
    private var channels: [UInt8: (slot: Int, rtcp: Bool)] = [:]
    private var rtcpChannels: [Int: UInt8] = [:]
    private var rtcpPeers: [Int: UdpPeer] = [:]

    // Push
    private var reader: OpaquePointer?
    private lazy var readerBox = ReaderBox(self)
    private var pushSdp: RtspPlaySdp?
    private var output = RtspPlayOutput()

    init(proxy: RtspProxy, conn: OpaquePointer) {
        self.proxy = proxy
        self.conn = conn
        self.loop = proxy.host.table.conn_loop(conn)
        if let user = proxy.url.user { authenticator = RtspClientAuthenticator(username: user, password: proxy.url.password ?? "") }
    }

    // MARK: connection

    func opened(_ conn: OpaquePointer) {
        lastMediaUs = host.table.now_us()
        timer = host.table.timer_start(host.host, loop, 1000, 1000, { user, _ in
            WeakBox<RtspClientSession>.value(user)?.tick()
        }, timerUser)
        if proxy.mode == .pull {
            request("OPTIONS", proxy.requestURL)
        } else {
            openReader()
        }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        parser.append(bytes)
        do {
            while !closing, let input = try parser.next() {
                switch input {
                case .message(let m):
                    if !m.isRequest { response(m) }
                case .interleaved(let channel, let payload):
                    guard proxy.mode == .pull, let route = channels[channel] else { continue }
                    if route.rtcp {
                        ingest?.rtcp(slot: route.slot, payload)
                    } else {
                        lastMediaUs = host.table.now_us()
                        ingest?.rtp(slot: route.slot, payload, reorder: false)
                    }
                }
            }
        } catch {
            fail("bad RTSP from the server: \(error)")
        }
    }

    func closed(reason: Int32, message: String) {
        closing = true
        if let t = timer { host.table.timer_cancel(t) }
        timer = nil
        WeakBox<RtspClientSession>.release(timerUser)
        proxy.udpPorts?.unroute(self)
        if let ingest { host.log(MR_LOG_INFO, "\(proxy.label): ended after \(ingest.summary)") }
        if let source { host.table.source_close(source) }
        source = nil
        if let reader { host.table.reader_close(reader) }
        reader = nil
        proxy.failed(failure.isEmpty ? "connection closed (\(message))" : failure)
    }

    private func fail(_ why: String) {
        guard !closing else { return }
        failure = why
        closing = true
        host.table.conn_close(conn, 0)
    }

    /// Keep-alives at half the session timeout; a pull whose media stops for 10 s starts over.
    private func tick() {
        ticks += 1
        guard case .streaming = step else { return }
        if proxy.mode == .pull, host.table.now_us() - lastMediaUs > 10_000_000 { return fail("no media for 10 s") }
        if ticks % max(5, min(25, sessionTimeoutS / 2)) == 0 {
            request(proxy.mode == .pull ? "GET_PARAMETER" : "OPTIONS", proxy.requestURL)
        }
        if proxy.mode == .push, ticks % 5 == 0 { output.reportAll(host, conn: conn, udp: nil) }
        if proxy.mode == .pull, ticks % 5 == 0, let ingest {
            for (slot, rr) in ingest.receiverReports() {
                if let ch = rtcpChannels[slot] {
                    host.send(conn, [0x24, ch, UInt8(truncatingIfNeeded: rr.count >> 8), UInt8(truncatingIfNeeded: rr.count)] + rr)
                } else if let peer = rtcpPeers[slot] {
                    proxy.udpPorts?.send(rr, to: peer, rtcp: true)
                }
            }
        }
    }

    private func request(_ method: String, _ uri: String, _ headers: [(String, String)] = [], body: [UInt8] = []) {
        cseq += 1
        last = (method, uri, headers, body)
        var h: [(name: String, value: String)] = [("CSeq", String(cseq)), ("User-Agent", "MediaRouter")]
        if let session { h.append(("Session", session)) }
        if let value = authenticator?.authorization(method: method, uri: uri) { h.append(("Authorization", value)) }
        for (n, v) in headers { h.append((n, v)) }
        host.send(conn, RtspMessage(kind: .request(method: method, uri: uri), headers: h, body: body).serialize())
    }

    // MARK: responses

    private func response(_ m: RtspMessage) {
        guard let status = m.status else { return }
        if case .streaming = step, last?.method == "GET_PARAMETER" || last?.method == "OPTIONS" { return }   // keep-alive answers
        if status == 401, !retriedAuth, var a = authenticator, a.handle(unauthorized: m), let l = last {
            authenticator = a
            retriedAuth = true
            return request(l.method, l.uri, l.headers, body: l.body)
        }
        retriedAuth = false
        if case .options = step {
            // Some cameras refuse OPTIONS; DESCRIBE decides.
            step = .describe
            return request("DESCRIBE", proxy.requestURL, [("Accept", "application/sdp")])
        }
        guard status == 200 else {
            return fail("\(last?.method ?? "request") answered \(status)\(status == 401 ? " (credentials refused)" : "")")
        }
        if let s = m.header("Session"), let parsed = RtspSessionHeader(parsing: s) {
            session = parsed.id
            sessionTimeoutS = parsed.timeout ?? 60
        }
        switch step {
        case .describe: described(m)
        case .setup(let i): setUp(i, m)
        case .play:
            step = .streaming
            lastMediaUs = host.table.now_us()
            proxy.streaming()
            host.log(MR_LOG_INFO, "\(proxy.label): pulling \(tracks.compactMap { $0.codec?.rawValue }.joined(separator: "+")) over \(proxy.udpPorts == nil ? "TCP" : "UDP")")
        case .announce:
            setupNext(0)
        case .record:
            step = .streaming
            proxy.streaming()
            if let reader { host.table.reader_set_paused(reader, 0) }
            host.log(MR_LOG_INFO, "\(proxy.label): pushing")
        case .options, .streaming:
            break
        }
    }

    private func described(_ m: RtspMessage) {
        let description: SessionDescription
        do { description = try SessionDescription(parsing: m.body) } catch { return fail("bad SDP from the server: \(error)") }
        contentBase = m.header("Content-Base") ?? m.header("Content-Location") ?? proxy.requestURL
        tracks = description.tracks
        slots = tracks.indices.filter { tracks[$0].codec != nil }
        guard !slots.isEmpty else { return fail("the server offers no track we can take") }
        let out = host.openSource(vhost: proxy.request.busVhost, app: proxy.app, stream: proxy.stream, protocolName: "rtsp-pull", peer: proxy.requestURL,
                                  loop: loop)
        guard let out else { return fail("cannot publish \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        source = out
        ingest = RtspIngest(host: host, source: out, tracks: tracks, label: proxy.label)
        setupNext(0)
    }

    private func setupNext(_ i: Int) {
        guard i < slots.count else {
            if proxy.mode == .pull {
                step = .play
                return request("PLAY", contentBase.hasSuffix("/") && !proxy.requestURL.hasSuffix("/") ? proxy.requestURL : contentBase,
                               [("Range", "npt=0.000-")])
            }
            step = .record
            return request("RECORD", proxy.requestURL, [("Range", "npt=0.000-")])
        }
        step = .setup(i)
        let slot = slots[i]
        if proxy.mode == .push {
            let uri = RtspURL.resolve(control: "trackID=\(slot)", base: proxy.requestURL)
            return request("SETUP", uri, [("Transport", "RTP/AVP/TCP;unicast;interleaved=\(2 * i)-\(2 * i + 1);mode=record")])
        }
        let uri = RtspURL.resolve(control: tracks[slot].control ?? "", base: contentBase)
        if let ports = proxy.udpPorts {
            request("SETUP", uri, [("Transport", "RTP/AVP;unicast;client_port=\(ports.rtpPort)-\(ports.rtcpPort)")])
        } else {
            request("SETUP", uri, [("Transport", "RTP/AVP/TCP;unicast;interleaved=\(2 * i)-\(2 * i + 1)")])
        }
    }

    private func setUp(_ i: Int, _ m: RtspMessage) {
        let slot = slots[i]
        let transport = m.header("Transport").flatMap { RtspTransport.parseList($0).first }
        if proxy.mode == .push {
            let rtp = transport?.interleaved?.first ?? 2 * i
            let t = pushSdp?.tracks[slot]
            output.add(track: slot, transport: .tcp(rtp: UInt8(clamping: rtp), rtcp: UInt8(clamping: transport?.interleaved?.second ?? rtp + 1)),
                       clockRate: t?.clockRate ?? 90000)
        } else if let ports = proxy.udpPorts {
            guard let server = transport?.serverPort, let peer = UdpPeer(ip: UdpPeer.host(ofPeer: host.peer(conn)), port: UInt16(clamping: server.first))
            else { return fail("SETUP answer without server_port: Transport: \(m.header("Transport") ?? "none")") }
            ports.route(peer, to: self, slot: slot, rtcp: false)
            if let rtcp = UdpPeer(ip: peer.ip, port: UInt16(clamping: server.second ?? server.first + 1)) {
                ports.route(rtcp, to: self, slot: slot, rtcp: true)
                rtcpPeers[slot] = rtcp
            }
        } else {
            let rtp = transport?.interleaved?.first ?? 2 * i
            let rtcp = transport?.interleaved?.second ?? rtp + 1
            channels[UInt8(clamping: rtp)] = (slot, false)
            channels[UInt8(clamping: rtcp)] = (slot, true)
            rtcpChannels[slot] = UInt8(clamping: rtcp)
        }
        setupNext(i + 1)
    }

    func udpRtp(slot: Int, _ bytes: ArraySlice<UInt8>) {
        lastMediaUs = host.table.now_us()
        // A server that sends every track from one port pair (MediaMTX, ours) routes them all to the last
        // slot set up: the payload type tells the tracks apart.
        var target = slot
        if bytes.count > 1 {
            let pt = bytes[bytes.startIndex + 1] & 0x7F
            if tracks.indices.contains(slot), tracks[slot].payloadType != pt,
               let other = slots.first(where: { tracks[$0].payloadType == pt }) { target = other }
        }
        ingest?.rtp(slot: target, bytes, reorder: true)
    }

    func udpRtcp(slot: Int, _ bytes: ArraySlice<UInt8>) { ingest?.rtcp(slot: slot, bytes) }

    // MARK: push

    private func openReader() {
        let (rc, out) = host.openReader(vhost: proxy.request.busVhost, app: proxy.app, stream: proxy.stream, format: "rtsp", muxer: proxy.muxerFactory,
                                        protocolName: "rtsp-push", peer: proxy.requestURL, loop: loop, box: readerBox)
        guard rc == MR_OK else { return fail("cannot read \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        if reader == nil { reader = out }
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard case .streaming = step, !closing else { return }
        _ = output.send(host, conn: conn, udp: nil, frames)
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            self.reader = reader
            host.table.reader_set_paused(reader, 1)   // until RECORD is answered
            guard let d = RtspPlaySdp(host: host, reader: reader, sessionName: "\(proxy.app)/\(proxy.stream)") else {
                return fail("\(proxy.app)/\(proxy.stream) has no track RTSP can carry")
            }
            pushSdp = d
            slots = d.tracks.keys.sorted()
            step = .announce
            request("ANNOUNCE", proxy.requestURL, [("Content-Type", "application/sdp")], body: d.sdp)
        case MR_READER_NOT_FOUND, MR_READER_ENDED:
            self.reader = nil
            fail(event == MR_READER_ENDED ? "the stream ended" : "no such stream to push")
        case MR_READER_CLOSED:
            self.reader = nil
        default:
            break
        }
    }
}
