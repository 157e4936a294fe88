#if canImport(Glibc)
import Glibc
#endif
import MRPluginKit
import PluginABI

/// Requests, on the HTTP connection's loop: players are admitted (play auth, session) on their first
/// playlist, then playlists, parts and segments are answered from the store, at once or when the muxer
/// gets there (first segment, blocking reload, hinted part).
extension HlsPlugin {
    func handle(_ r: mr_http_request, _ ex: OpaquePointer) -> Int32 {
        let path = r.path.map { String(cString: $0) } ?? ""
        let query = r.query.map { String(cString: $0) } ?? ""
        guard let request = HlsRequest(path: path, query: query) else { return Int32(MR_ERR_NOT_FOUND) }
        if request.block == .invalid { return respond(ex, 400, "text/plain", Array("bad _HLS_msn/_HLS_part\n".utf8)) }
        let peer = r.peer.map { String(cString: $0) } ?? ""
        let clientKey = HlsSessions.clientKey(stream: request.key, peer: peer, userAgent: Self.header(r, "User-Agent") ?? "")
        let token = request.sessionToken ?? Self.cookie(Self.header(r, "Cookie"), HlsSessions.cookieName)
        if let session = sessions.find(key: request.key, token: token, clientKey: clientKey) {
            return serve(request, ex, loop: r.loop, session: session.id)
        }
        // Only a playlist makes a player; a segment asked without a session is served, uncounted.
        guard request.item == .playlist else { return serve(request, ex, loop: r.loop, session: nil) }
        return admit(request, ex, loop: r.loop, peer: peer, clientKey: clientKey)
    }

    /// A new player: the core's play auth first (403 when refused), then a session within the bounds (503).
    private func admit(_ request: HlsRequest, _ ex: OpaquePointer, loop: Int32, peer: String, clientKey: String) -> Int32 {
        let pending = PendingExchange()
        host.table.http_on_close(ex, { user in
            guard let user else { return }
            Unmanaged<PendingExchange>.fromOpaque(user).takeRetainedValue().gone = true
        }, Unmanaged.passRetained(pending).toOpaque())
        AuthQuestion(action: MR_AUTH_PLAY, vhost: request.vhost, app: request.app, stream: request.stream, protocolName: "hls",
                     peer: peer, query: request.query).ask(host, loop: loop) { [self] allowed, reason in
            guard !pending.gone else { return }
            guard allowed else {
                host.log(MR_LOG_WARNING, "HLS play of \(request.app)/\(request.stream) by \(peer) denied: \(reason)")
                respond(ex, 403, "text/plain", Array("play denied\n".utf8))
                return
            }
            let s = settings
            sessions.timeoutMs.store(max(3 * s.segmentMs, 10_000), ordering: .relaxed)
            switch sessions.admit(key: request.key, clientKey: clientKey, loop: loop, maxPerStream: s.serving.maxStreamSessions,
                                  maxTotal: s.serving.maxSessions) {
            case .full(let why):
                host.log(MR_LOG_WARNING, "HLS player \(peer) of \(request.key) refused: \(why)")
                respond(ex, 503, "text/plain", Array("too many players\n".utf8))
            case .admitted(let session):
                guard session.open(request, peer: peer) else {
                    sessions.remove(session)
                    respond(ex, 503, "text/plain", Array("cannot play: \(host.lastError)\n".utf8))
                    return
                }
                _ = serve(request, ex, loop: loop, session: session.id)
            }
        }
        return Int32(MR_OK)
    }

    private func serve(_ request: HlsRequest, _ ex: OpaquePointer, loop: Int32, session: String?) -> Int32 {
        // Only a playlist request starts a muxer; segments of a stream nobody muxes are simply unknown.
        guard let stream = self.stream(for: request, loop: loop, create: request.item == .playlist) else {
            return respond(ex, 404, "text/plain", Array("stream not found\n".utf8))
        }
        let store = stream.store
        store.touch()
        switch request.item {
        case .initSegment, .segment:
            return reply(request, ex, session: session, store: store)
        case .playlist, .part:
            // A blocking request waits at most three target durations (RFC 8216bis 6.2.5.2); the first
            // segment is bounded by the muxer's own patience.
            let firstSegment = request.item == .playlist && !store.hasSegments
            let deadline = firstSegment ? nil : host.table.now_us() + 3 * Int64(store.targetSeconds) * 1_000_000
            let waiter = HlsStore.Waiter(exchange: ex, loop: loop, request: request, session: session, deadlineUs: deadline)
            switch store.wait(waiter) {
            case .wait:
                // A client that leaves meanwhile: its waiter is marked done, never answered.
                host.table.http_on_close(ex, { user in
                    guard let user else { return }
                    Unmanaged<HlsStore.Waiter>.fromOpaque(user).takeRetainedValue().done = true
                }, Unmanaged.passRetained(waiter).toOpaque())
                return Int32(MR_OK)
            case .full:
                return respond(ex, 503, "text/plain", Array("too many waiting requests\n".utf8))
            default:
                return reply(request, ex, session: session, store: store)
            }
        }
    }

    /// The answer as the store stands now; a request still waiting here has run out of time.
    func reply(_ request: HlsRequest, _ ex: OpaquePointer, session: String?, store: HlsStore?) -> Int32 {
        guard let store else { return respond(ex, 404, "text/plain", Array("stream not found\n".utf8)) }
        switch store.readiness(request) {
        case .ready:
            break
        case .wait, .full:
            return respond(ex, 503, "text/plain", Array("not available in time\n".utf8))
        case .notFound:
            return respond(ex, 404, "text/plain", Array("stream ended, or no such part\n".utf8))
        case .badRequest:
            return respond(ex, 400, "text/plain", Array("_HLS_msn/_HLS_part too far ahead\n".utf8))
        }
        guard request.item == .playlist else {
            guard let bufs = store.buffers(request) else {
                return respond(ex, 404, "text/plain", Array("segment expired or unknown\n".utf8))
            }
            return respond(ex, 200, request.contentType, bufs: bufs)
        }
        var uriQuery = request.uriQuery
        if let session { uriQuery += (uriQuery.isEmpty ? "" : "&") + "\(HlsRequest.sessionParameter)=\(session)" }
        guard let text = store.playlist(request.variant, uriQuery: uriQuery, lowLatency: true) else {
            return respond(ex, 404, "text/plain", Array("no such stream or variant\n".utf8))
        }
        // The cookie is scoped to the stream's folder, where its playlists and segments are.
        let cookie = session.map { [("Set-Cookie", "\(HlsSessions.cookieName)=\($0); Path=/\(request.app)/\(request.stream)/; HttpOnly")] } ?? []
        return respond(ex, 200, request.contentType, Array(text.utf8), headers: cookie)
    }

    /// Answers requests that waited, each on its own loop.
    func answer(_ waiters: [HlsStore.Waiter]) {
        for w in waiters { host.onLoop(w.loop) { self.answerWaiter(w) } }
    }

    private func answerWaiter(_ waiter: HlsStore.Waiter) {
        guard !waiter.done else { return }
        waiter.done = true
        let store = streams.withLock { $0[waiter.request.key]?.store }
        store?.touch()
        _ = reply(waiter.request, waiter.exchange, session: waiter.session, store: store)
    }

    // MARK: responses

    @discardableResult
    func respond(_ ex: OpaquePointer, _ status: Int32, _ type: String, _ body: [UInt8], headers: [(String, String)] = []) -> Int32 {
        guard let buf = host.buffer(body) else { return Int32(MR_ERR_NOMEM) }
        return respond(ex, status, type, bufs: [buf], headers: headers)
    }

    /// Sends the buffers as they are, in order, with their total length (httpmux does not copy or chunk
    /// them); takes the references.
    private func respond(_ ex: OpaquePointer, _ status: Int32, _ type: String, bufs: [OpaquePointer],
                         headers extra: [(String, String)] = []) -> Int32 {
        defer { for b in bufs { host.table.buf_release(b) } }
        let length = bufs.reduce(0) { $0 + host.table.buf_len($1) }
        let all = [("Content-Type", type), ("Cache-Control", "no-cache"), ("Content-Length", String(length))] + extra
        let strings = all.map { (strdup($0.0), strdup($0.1)) }
        defer { for (n, v) in strings { free(n); free(v) } }
        var cHeaders = strings.map { mr_http_header(name: $0.0, value: $0.1) }
        var rc = host.table.http_begin(ex, status, &cHeaders, cHeaders.count)
        guard rc == MR_OK else { return rc }
        let list: [OpaquePointer?] = bufs
        rc = list.withUnsafeBufferPointer { host.table.http_write(ex, $0.baseAddress, $0.count) }
        guard rc == MR_OK else { return rc }
        return host.table.http_end(ex)
    }

    static func header(_ r: mr_http_request, _ name: String) -> String? {
        guard let headers = r.headers else { return nil }
        for i in 0..<r.header_count {
            guard let n = headers[i].name, let v = headers[i].value else { continue }
            if String(cString: n).lowercased() == name.lowercased() { return String(cString: v) }
        }
        return nil
    }

    static func cookie(_ header: String?, _ name: String) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, trim(kv[0]) == name { return trim(kv[1]) }
        }
        return nil
    }
}

private func trim(_ s: Substring) -> String {
    String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
}

/// The exchange of a request whose play auth is pending; `gone` when it ended first (on its loop only).
final class PendingExchange {
    var gone = false
}
