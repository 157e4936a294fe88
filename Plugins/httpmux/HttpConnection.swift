import HttpProtocol
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import BusMedia
import MRPluginKit
import PluginABI

/// One HTTP connection: keep-alive requests answered in order; a request for a live stream turns the
/// connection into a player (HTTP-FLV/TS/fMP4, or their WebSocket forms after an upgrade). Runs on its loop only.
final class HttpConnection: ConnectionHandler, ReaderHandler {
    private enum State {
        case requests
        case waitingRoute            // a host route has the exchange
        case streamingRoute          // a host route answered with begin/write/end
        case sendingFile
        case live(websocket: Bool, started: Bool)
        case closing
    }

    private unowned let plugin: HttpMuxPlugin
    private let core: SessionCore
    private var host: PluginHost { core.host }
    var conn: OpaquePointer { core.conn }
    private var peer: String { core.peer }
    /// Taken once per request (and kept by a player): a reload applies from the next request on.
    private var settings: HttpMuxSettings
    private var state = State.requests
    private var parser: HttpRequestParser
    private var keepAlive = true
    private var exchange: OpaquePointer?
    /// The current route request is a HEAD: its answer goes out without a body.
    private var headOnly = false
    /// A streamed route answer is chunked unless its handler gave the length (HLS segments sent part by part).
    private var routeChunked = true
    /// The current route request is a CORS preflight: these go with its answer unless the route set them.
    private var preflight: [(String, String)] = []
    private var reader: OpaquePointer?
    private var liveName = ""
    private var liveKind = LiveKind(.flv, websocket: false)
    private var iov = IovecBuilder()
    private var wsBuffer: [UInt8] = []
    private var file: FileTransfer?
    private lazy var readerBox = ReaderBox(self)
    private var timeline = PlayerTimeline()
    /// Armed while the connection waits for a whole request (see `HttpMuxSettings.requestTimeoutMs`).
    private var requestTimer: SessionTimer?

    init(plugin: HttpMuxPlugin, conn: OpaquePointer) {
        self.plugin = plugin
        core = SessionCore(host: plugin.host, conn: conn, gauge: "connections")
        settings = plugin.settings
        parser = HttpRequestParser(maxBodyBytes: settings.maxBodyBytes)
    }

    // MARK: connection

    func opened(_ conn: OpaquePointer) {
        core.opened()
        armRequestTimer()
    }

    /// Counts from the moment the connection starts waiting for a request, not from its last byte: a client
    /// sending a byte a second gets no more time than one sending nothing.
    private func armRequestTimer() {
        requestTimer?.cancel()
        let ms = settings.requestTimeoutMs
        requestTimer = core.startTimer(afterMs: Int64(ms)) { [unowned self] in
            requestTimer = nil
            guard case .requests = state else { return }
            if parser.buffered > 0 {
                fail(status: 408, "request not complete within \(ms) ms")
            } else {
                close()   // an idle keep-alive connection: nothing to answer
            }
        }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        core.countIn(bytes.count)
        switch state {
        case .closing:
            return
        case .live(websocket: true, _):
            wsBuffer.append(contentsOf: bytes)
            websocketInput()
        case .live(websocket: false, _):
            return  // a player has nothing more to say; ignore
        default:
            parser.feed(bytes)
            if parser.buffered > HttpRequestParser.maxHeaderBytes + settings.maxBodyBytes {
                return fail(status: 413, "too much pipelined input")
            }
            processRequests()
        }
    }

    func writabilityChanged(_ conn: OpaquePointer, writable: Bool) {
        if case .sendingFile = state, writable { file?.resume(self) }
        core.writabilityChanged(reader: reader, writable: writable, stallTimeoutMs: settings.stallTimeoutMs) { [weak self] in
            guard let self else { return }
            self.close("player \(self.peer) of \(self.liveName) stopped reading; closing it")
        }
    }

    func closed(reason: Int32, message: String) {
        state = .closing
        if let reader { host.table.reader_close(reader) }
        reader = nil
        if let exchange { host.table.http_exchange_free(exchange) }
        exchange = nil
        file?.cancel()
        file = nil
        core.closed(message: message, logged: false)
    }

    private func close(_ line: String? = nil) {
        guard !core.isClosing else { return }
        core.close(line)
        state = .closing
    }

    private var isClosing: Bool { core.isClosing }

    func send(_ bytes: [UInt8]) { core.send(bytes) }

    private func fail(status: Int, _ why: String) {
        host.log(MR_LOG_INFO, "\(peer): \(status) \(why)")
        send(HttpResponse.simple(status: status, body: "\(status) \(HttpResponse.reason(status)): \(why)\n", keepAlive: false, cors: settings.cors))
        close()
    }

    // MARK: requests

    private func processRequests() {
        while case .requests = state {
            let request: HttpRequest
            do {
                guard let r = try parser.next() else { return }
                request = r
            } catch {
                return fail(status: error.status, error.reason)
            }
            keepAlive = request.keepAlive
            settings = plugin.settings
            requestTimer?.cancel()
            requestTimer = nil
            handle(request)
        }
    }

    /// Ends a finished response: the next pipelined request, or the end of the connection.
    func responseDone() {
        guard !isClosing else { return }
        if !keepAlive { return close() }
        state = .requests
        armRequestTimer()
        processRequests()
    }

    private func handle(_ r: HttpRequest) {
        host.stat("requests", add: 1)
        if r.method == "OPTIONS" {
            // CORS preflight: a route that registered OPTIONS itself answers (WHIP/WHEP add Accept-Post and
            // their ICE servers), with the preflight headers it left out added; otherwise we answer.
            preflight = Self.preflightHeaders(r)
            if dispatchRoute(r) { return }
            preflight = []
            send(HttpResponse.head(status: 204, headers: Self.preflightHeaders(r) + [
                ("Content-Length", "0"), ("Connection", keepAlive ? "keep-alive" : "close")] + Self.acceptPost(r.path), cors: true))
            return responseDone()
        }
        if let live = LiveURL(path: r.path, query: r.query), r.method == "GET" || r.method == "HEAD" {
            return startLive(live, r)
        }
        if dispatchRoute(r) { return }
        serveFile(r)
    }

    // MARK: host routes (REST API, HLS, WHIP/WHEP, ...)

    static func preflightHeaders(_ r: HttpRequest) -> [(String, String)] {
        [("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"),
         ("Access-Control-Allow-Headers", r.header("Access-Control-Request-Headers") ?? "*"),
         ("Access-Control-Max-Age", "86400")]
    }

    /// WHIP (RFC 9725 4.1) and WHEP endpoints tell a preflight which body type they take.
    static func acceptPost(_ path: String) -> [(String, String)] {
        path.hasSuffix("/whep") || path.hasSuffix("/whip") ? [("Accept-Post", "application/sdp")] : []
    }

    private func dispatchRoute(_ r: HttpRequest) -> Bool {
        guard let ex = host.table.http_exchange_new(host.host, Unmanaged.passUnretained(self).toOpaque()) else { return false }
        exchange = ex
        state = .waitingRoute
        headOnly = r.method == "HEAD"
        let rc = CRequest.with(r, peer: peer, loop: core.loop, method: headOnly ? "GET" : r.method) { req in
            host.table.http_dispatch(host.host, req, ex)
        }
        if rc == MR_OK { return true }
        // Nobody took it (or the handler answered synchronously and already moved us on).
        if exchange == ex {
            exchange = nil
            host.table.http_exchange_free(ex)
            state = .requests
            return false
        }
        return true
    }

    func routeRespond(status: Int, headers: [(String, String)], body: UnsafeRawBufferPointer?) -> Int32 {
        guard case .waitingRoute = state, exchange != nil else { return Int32(MR_ERR_CLOSED) }
        var h = headers.filter { $0.0.lowercased() != "content-length" && $0.0.lowercased() != "connection" }
        let given = Set(h.map { $0.0.lowercased() })
        h += preflight.filter { !given.contains($0.0.lowercased()) }
        h.append(("Content-Length", String(body?.count ?? 0)))
        h.append(("Connection", keepAlive ? "keep-alive" : "close"))
        let bytes = headOnly ? [] : Array(body ?? UnsafeRawBufferPointer(start: nil, count: 0))
        send(HttpResponse.head(status: status, headers: h, cors: settings.cors || !preflight.isEmpty) + bytes)
        finishExchange()
        return Int32(MR_OK)
    }

    func routeBegin(status: Int, headers: [(String, String)]) -> Int32 {
        guard case .waitingRoute = state, exchange != nil else { return Int32(MR_ERR_CLOSED) }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) }.flatMap { $0 >= 0 ? $0 : nil }
        var h = headers.filter { $0.0.lowercased() != "content-length" && $0.0.lowercased() != "connection" && $0.0.lowercased() != "transfer-encoding" }
        h.append(length.map { ("Content-Length", String($0)) } ?? ("Transfer-Encoding", "chunked"))
        routeChunked = length == nil
        h.append(("Connection", keepAlive ? "keep-alive" : "close"))
        send(HttpResponse.head(status: status, headers: h, cors: settings.cors))
        state = .streamingRoute
        return Int32(MR_OK)
    }

    func routeWrite(_ bufs: [OpaquePointer]) -> Int32 {
        guard case .streamingRoute = state else { return Int32(MR_ERR_CLOSED) }
        if headOnly { return Int32(MR_OK) }
        guard routeChunked else {
            host.send(conn, buffers: bufs)
            return Int32(MR_OK)
        }
        for b in bufs {
            let n = host.table.buf_len(b)
            guard n > 0 else { continue }
            send(Array((String(n, radix: 16) + "\r\n").utf8))
            host.send(conn, buffers: [b])
            send([13, 10])
        }
        return Int32(MR_OK)
    }

    func routeEnd() -> Int32 {
        guard case .streamingRoute = state else { return Int32(MR_ERR_CLOSED) }
        if routeChunked, !headOnly { send(Array("0\r\n\r\n".utf8)) }
        finishExchange()
        return Int32(MR_OK)
    }

    private func finishExchange() {
        preflight = []
        if let ex = exchange {
            exchange = nil
            host.table.http_exchange_free(ex)
        }
        // Continue from the loop, not from inside the handler's host call.
        host.onLoop(core.loop) { [weak self] in self?.responseDone() }
        // Input stays buffered (state is still a route state) until that continuation runs.
        state = .waitingRoute
    }

    // MARK: static files

    private func serveFile(_ r: HttpRequest) {
        guard r.method == "GET" || r.method == "HEAD" else { return reply(405, "method \(r.method) not allowed") }
        switch staticResolution(r.path) {
        case .forbidden:
            reply(403, "forbidden")
        case .notFound:
            reply(404, "not found")
        case .directory(let path, let urlPath):
            if !r.path.hasSuffix("/") {
                send(HttpResponse.simple(status: 301, body: "", keepAlive: keepAlive, cors: settings.cors, extra: [("Location", r.path + "/")]))
                return responseDone()
            }
            let html = StaticFiles.listing(path: path, urlPath: urlPath)
            send(HttpResponse.simple(status: 200, body: r.method == "HEAD" ? "" : html, contentType: "text/html; charset=utf-8",
                                     keepAlive: keepAlive, cors: settings.cors))
            responseDone()
        case .file(let path, let size):
            var status = 200
            var span = size > 0 ? 0...(size - 1) : nil as ClosedRange<Int>?
            var headers: [(String, String)] = [("Content-Type", StaticFiles.contentType(path)), ("Accept-Ranges", "bytes")]
            switch StaticFiles.range(r.header("Range"), size: size) {
            case .success(let range)?:
                status = 206
                span = range
                headers.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"))
            case .failure?:
                send(HttpResponse.simple(status: 416, body: "", keepAlive: keepAlive, cors: settings.cors,
                                         extra: [("Content-Range", "bytes */\(size)")]))
                return responseDone()
            case nil:
                break
            }
            let length = span.map { $0.count } ?? 0
            headers.append(("Content-Length", String(length)))
            headers.append(("Connection", keepAlive ? "keep-alive" : "close"))
            send(HttpResponse.head(status: status, headers: headers, cors: settings.cors))
            guard r.method == "GET", let span, length > 0 else { return responseDone() }
            guard let transfer = FileTransfer(path: path, offset: span.lowerBound, length: length, host: host) else {
                return close()  // the head is out: a short body is all that is left to signal the error
            }
            file = transfer
            state = .sendingFile
            transfer.resume(self)
        }
    }

    /// www_root comes first, so an operator's own page keeps `/`; the console answers `/` when www_root has
    /// no file there (no root, or only a listing) and owns `/console/`.
    private func staticResolution(_ path: String) -> StaticFiles.Resolution {
        if let asset = settings.console?.asset(path) { return asset }
        let fromRoot = settings.files?.resolve(path) ?? .notFound
        if path == "/", let console = settings.console {
            if case .file = fromRoot { return fromRoot }
            return console.index
        }
        return fromRoot
    }

    func fileFinished(ok: Bool) {
        file = nil
        if ok { responseDone() } else { close() }
    }

    private func reply(_ status: Int, _ text: String) {
        send(HttpResponse.simple(status: status, body: "\(status) \(text)\n", keepAlive: keepAlive, cors: settings.cors))
        responseDone()
    }

    // MARK: live streams

    /// Asks the core whether this player may play (auth handler, hooks), then starts it; a refusal is 403.
    private func startLive(_ live: LiveURL, _ r: HttpRequest) {
        state = .waitingRoute   // no further request is read meanwhile
        let kind = LiveKind(live.format, websocket: r.isWebSocketUpgrade)
        AuthQuestion(action: MR_AUTH_PLAY, vhost: live.vhost, app: live.app, stream: live.stream, protocolName: kind.protocolName,
                     peer: peer, query: live.query).ask(host, loop: core.loop) { [weak self] allowed, reason in
            guard let self, case .waitingRoute = self.state else { return }
            guard allowed else {
                self.host.log(MR_LOG_WARNING, "play of \(live.app)/\(live.stream) by \(self.peer) over \(kind.label) denied: \(reason)")
                return self.fail(status: 403, "play denied")
            }
            self.play(live, r)
        }
    }

    private func play(_ live: LiveURL, _ r: HttpRequest) {
        let websocket = r.isWebSocketUpgrade
        if r.method == "HEAD" {
            // The head a GET would get, without a reader: a live body has no end to describe.
            send(HttpResponse.head(status: 200, headers: [("Content-Type", LiveKind(live.format, websocket: false).contentType),
                                                          ("Cache-Control", "no-cache"),
                                                          ("Connection", keepAlive ? "keep-alive" : "close")], cors: settings.cors))
            return responseDone()
        }
        if websocket {
            guard let key = r.header("Sec-WebSocket-Key"), r.header("Sec-WebSocket-Version") == "13" else {
                return fail(status: 400, "bad WebSocket upgrade")
            }
            var headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", WebSocket.acceptKey(key))]
            if let proto = r.header("Sec-WebSocket-Protocol")?.split(separator: ",").first {
                headers.append(("Sec-WebSocket-Protocol", proto.trimmingSpaces()))
            }
            send(HttpResponse.head(status: 101, headers: headers, cors: false))
        }
        liveName = "\(live.app)/\(live.stream)"
        liveKind = LiveKind(live.format, websocket: websocket)
        state = .live(websocket: websocket, started: false)
        let (rc, out) = host.openReader(vhost: live.vhost, app: live.app, stream: live.stream, format: liveKind.ringFormat,
                                        muxer: plugin.muxers.factory(live.format, websocket: websocket),
                                        protocolName: liveKind.protocolName, peer: peer,
                                        loop: core.loop, box: readerBox)
        guard rc == MR_OK else { return fail(status: 500, "cannot play \(liveName): \(host.lastError)") }
        reader = out
    }

    /// Shared packets: FLV with each tag's timestamp moved so this player's timeline starts near 0, TS and
    /// fMP4 as they are.
    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard case .live(let websocket, _) = state else { return }
        guard liveKind.rebasesTimestamps else {
            var bytes = 0
            for f in frames {
                guard let payload = f.payload else { continue }
                let n = host.table.buf_len(payload)
                iov.range(payload, 0, n)
                bytes += n
            }
            iov.send(host, conn)
            return core.countOut(bytes)
        }
        let bytes = timeline.send(host, conn, frames) { out, buf, data, shift in
            // WebSocket frames keep their header (the tag lengths do not change); the tags inside are rewritten.
            let from = websocket ? WebSocket.headerLength(data) : 0
            if from > 0 {
                // append checks the tags itself; the header range must only go out when they are whole.
                guard FlvTagRebase.isWholeTags(data, from: from) else { return false }
                out.range(buf, 0, from)
            }
            return FlvTagRebase.append(&out, buf: buf, data: data, from: from, shiftMs: shift)
        }
        core.countOut(bytes)
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        guard case .live(let websocket, _) = state else {
            if event == MR_READER_CLOSED { self.reader = nil }
            return
        }
        switch event {
        case MR_READER_STARTED:
            state = .live(websocket: websocket, started: true)
            if !websocket {
                // No length and no chunking: the body is the stream and ends when the connection closes.
                send(HttpResponse.head(status: 200, headers: [("Content-Type", liveKind.contentType), ("Cache-Control", "no-cache"),
                                                              ("Connection", "close")], cors: settings.cors))
            }
            host.log(MR_LOG_INFO, "play \(liveName) to \(peer) over \(liveKind.label)")
        case MR_READER_NOT_FOUND:
            self.reader = nil
            if websocket {
                send(WebSocket.frame(opcode: 8, [0x03, 0xF3] + Array("stream not found".utf8)))  // 1011
                close()
            } else {
                fail(status: 404, "stream \(liveName) not found")
            }
        case MR_READER_ENDED:
            self.reader = nil
            if websocket { send(WebSocket.frame(opcode: 8, [0x03, 0xE8])) }  // 1000: normal closure
            close()
        case MR_READER_SKIPPED:
            host.log(MR_LOG_INFO, "player \(peer) of \(liveName) fell behind: skipped \(detail) frames to the newest keyframe")
        case MR_READER_CLOSED:
            self.reader = nil
        default:
            break
        }
    }

    private func websocketInput() {
        do {
            for frame in try WebSocket.parse(&wsBuffer) {
                switch frame.opcode {
                case 8:
                    send(WebSocket.frame(opcode: 8, Array(frame.payload.prefix(2))))
                    return close()
                case 9:
                    send(WebSocket.frame(opcode: 10, frame.payload))
                default:
                    break  // players send nothing we need
                }
            }
        } catch {
            host.log(MR_LOG_INFO, "\(peer): WebSocket protocol error: \(error.reason)")
            send(WebSocket.frame(opcode: 8, [0x03, 0xEA]))  // 1002
            close()
        }
    }
}
