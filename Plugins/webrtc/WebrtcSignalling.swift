#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import EssentialsExtras
import MRPluginKit
import PluginABI
import WebRtcProtocol

/// WHIP/WHEP over httpmux routes: ZLMediaKit's `POST /index/api/whep|whip?app=&stream=` and MediaMTX's
/// `POST /<app>/<stream>/whep|whip` take an SDP offer and answer 201 with the SDP, an `ETag` and a `Location`
/// (`/index/api/delete_webrtc?id=&token=`) whose DELETE ends the session and whose PATCH trickles candidates or
/// restarts ICE; OPTIONS answers preflights; ZLMediaKit's legacy `POST /index/api/webrtc?type=play|push`
/// answers in its JSON.
final class WebrtcSignalling {
    let context: WebrtcContext
    var host: PluginHost { context.host }

    init(context: WebrtcContext) { self.context = context }

    static let sessionPath = "/index/api/delete_webrtc"

    /// [control] Routes live as long as the plugin; the handler holds the signalling object retained.
    func addRoutes() -> Bool {
        let routes: [(String, String)] = [
            ("POST", "/index/api/whep"), ("POST", "/index/api/whip"), ("POST", "/index/api/webrtc"),
            ("DELETE", Self.sessionPath), ("PATCH", Self.sessionPath),
            ("OPTIONS", "/index/api/whep"), ("OPTIONS", "/index/api/whip"), ("OPTIONS", "/index/api/webrtc"), ("OPTIONS", Self.sessionPath),
            ("POST", "/"), ("OPTIONS", "/"),
        ]
        let user = PluginBox.retain(self)
        var ok = true
        for (method, prefix) in routes {
            let rc = host.table.http_route_add(host.host, method, prefix, { user, request, ex in
                guard let s = PluginBox.borrow(user, as: WebrtcSignalling.self), let request, let ex else { return Int32(MR_ERR_NOT_FOUND) }
                return s.handle(request.pointee, ex)
            }, user)
            if rc != MR_OK {
                host.log(MR_LOG_ERROR, "cannot add the route \(method) \(prefix): \(host.lastError)")
                ok = false
            }
        }
        return ok
    }

    /// How the answer goes back: RFC 9725's 201 with the SDP, or ZLMediaKit's JSON for `/index/api/webrtc`.
    enum AnswerStyle: Equatable {
        case whip
        case legacy
    }

    /// What a request asks for.
    enum Request: Equatable {
        case play(app: String, stream: String, style: AnswerStyle)
        case publish(app: String, stream: String, style: AnswerStyle)
        case delete(id: String, token: String)
        case patch(id: String, token: String)
        /// OPTIONS on an endpoint that takes offers (`offers`) or on a session URL.
        case preflight(offers: Bool)
        /// A legacy request refused before any session: ZLMediaKit's code and message.
        case legacyRefused(code: Int, message: String)
    }

    static func parse(method: String, path: String, query: [String: String]) -> Request? {
        switch (method, path) {
        case ("POST", "/index/api/whep"), ("POST", "/index/api/whip"):
            let app = query["app"] ?? "", stream = query["stream"] ?? ""
            return path.hasSuffix("whep") ? .play(app: app, stream: stream, style: .whip) : .publish(app: app, stream: stream, style: .whip)
        case ("POST", "/index/api/webrtc"):
            return legacy(query)
        case ("DELETE", sessionPath):
            return .delete(id: query["id"] ?? "", token: query["token"] ?? "")
        case ("PATCH", sessionPath):
            return .patch(id: query["id"] ?? "", token: query["token"] ?? "")
        case ("OPTIONS", "/index/api/whep"), ("OPTIONS", "/index/api/whip"), ("OPTIONS", "/index/api/webrtc"):
            return .preflight(offers: true)
        case ("OPTIONS", sessionPath):
            return .preflight(offers: false)
        default:
            let parts = path.split(separator: "/").map(String.init)
            guard parts.count >= 3, let last = parts.last, last == "whep" || last == "whip" else { return nil }
            if method == "OPTIONS" { return .preflight(offers: true) }
            guard method == "POST" else { return nil }
            let app = parts.dropLast(2).joined(separator: "/"), stream = parts[parts.count - 2]
            return last == "whep" ? .play(app: app, stream: stream, style: .whip) : .publish(app: app, stream: stream, style: .whip)
        }
    }

    /// [connection loop]
    func handle(_ r: mr_http_request, _ ex: OpaquePointer) -> Int32 {
        let method = r.method.map { String(cString: $0) } ?? ""
        let path = r.path.map { String(cString: $0) } ?? ""
        let rawQuery = r.query.map { String(cString: $0) } ?? ""
        let query = ApiEndpoint.formFields(rawQuery)
        guard let request = Self.parse(method: method, path: path, query: query) else { return Int32(MR_ERR_NOT_FOUND) }
        let peer = r.peer.map { String(cString: $0) } ?? ""
        switch request {
        case .preflight(let offers):
            preflight(ex, offers: offers)
        case .legacyRefused(let code, let message):
            legacyReply(ex, code: code, message)
        case .delete(let id, let token):
            guard let session = context.table.session(id: id), session.token == token else {
                reply(ex, 404, "no such session")
                return Int32(MR_OK)
            }
            host.onLoop(session.loop) { session.close("deleted by the client") }
            reply(ex, 200, "")
        case .patch(let id, let token):
            patch(r, ex, id: id, token: token)
        case .publish(let app, let stream, let style), .play(let app, let stream, let style):
            // ZLMediaKit answers a missing argument with -300 (InvalidArgs), anything else with -400 (Exception).
            let refuse = { (status: Int32, why: String) in
                style == .legacy ? self.legacyReply(ex, code: why.hasSuffix("required") ? -300 : -400, why) : self.reply(ex, status, why)
            }
            guard !app.isEmpty, !stream.isEmpty else {
                refuse(400, "app and stream are required")
                return Int32(MR_OK)
            }
            guard r.body_len <= 64 * 1024 else {
                refuse(413, "offer too large")
                return Int32(MR_OK)
            }
            let body = r.body.map { Array(UnsafeBufferPointer(start: $0, count: r.body_len)) } ?? []
            let offer: SdpSession
            do { offer = try SdpSession(parsing: String(decoding: body, as: UTF8.self)) } catch {
                refuse(400, "bad SDP offer: \(error)")
                return Int32(MR_OK)
            }
            let target = WebrtcSession.Target(vhost: query["vhost"], app: app, stream: stream,
                                              query: Self.hookQuery(rawQuery, authorization: Self.header(r, "Authorization")),
                                              peer: peer, style: style)
            let session = WebrtcSession(context: context, signalling: self, target: target, offer: offer, loop: r.loop, exchange: ex,
                                        publishing: { if case .publish = request { true } else { false } }())
            guard context.table.add(session) else {
                refuse(503, "too many WebRTC sessions")
                return Int32(MR_OK)
            }
            session.begin()
        }
        return Int32(MR_OK)
    }

    /// The query the on_publish/on_play hooks see as `params`: the request's own (`?secret=`, `?token=`), and a
    /// WHIP/WHEP bearer token (RFC 9725 4.5) appended as ZLMediaKit does, `Authorization=Bearer%20<token>`.
    static func hookQuery(_ query: String, authorization: String?) -> String {
        guard let auth = authorization, !auth.isEmpty else { return query }
        let encoded = auth.percentEncoded(allowing: .urlQueryValue)
        return (query.isEmpty ? "" : query + "&") + "Authorization=" + encoded
    }

    /// A request header by case-insensitive name (the last one wins, as for the fields we read).
    static func header(_ r: mr_http_request, _ name: String) -> String? {
        guard let list = r.headers, r.header_count > 0, r.header_count < 1000 else { return nil }
        var found: String?
        for i in 0..<r.header_count {
            guard let n = list[i].name, let v = list[i].value, String(cString: n).lowercased() == name.lowercased() else { continue }
            found = String(cString: v)
        }
        return found
    }

    // MARK: answers

    /// A session's answer is ready: 201 with the SDP (WHIP/WHEP) or ZLMediaKit's JSON.
    func answered(_ ex: OpaquePointer, _ session: WebrtcSession, sdp: String) {
        switch session.target.style {
        case .whip:
            let headers = [("Content-Type", "application/sdp"), ("Location", "\(Self.sessionPath)?id=\(session.id)&token=\(session.token)"),
                           ("ETag", WhipPatchRequest.etag(localUfrag: session.ufrag))] + iceServerLinks
            respond(ex, 201, headers: headers, body: Array(sdp.utf8))
        case .legacy:
            legacyAnswer(ex, sdp: sdp, id: session.id)
        }
    }

    /// A session failed before its answer.
    func refused(_ ex: OpaquePointer, _ session: WebrtcSession, _ status: Int32, _ why: String) {
        switch session.target.style {
        case .whip: reply(ex, status, why)
        case .legacy: legacyReply(ex, code: -400, why)
        }
    }

    /// A plain-text answer (errors, DELETE).
    func reply(_ ex: OpaquePointer, _ status: Int32, _ text: String) {
        respond(ex, status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    func respond(_ ex: OpaquePointer, _ status: Int32, headers: [(String, String)], body: [UInt8]) {
        // httpmux adds Allow-Origin when CORS is on; a page must also read Location, ETag and Link.
        let all = headers + [("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Post, Accept-Patch"), ("Cache-Control", "no-cache")]
        let strings = all.map { (strdup($0.0), strdup($0.1)) }
        defer { strings.forEach { free($0.0); free($0.1) } }
        var list: [mr_http_header] = strings.compactMap { n, v in
            guard let n, let v else { return nil }
            return mr_http_header(name: UnsafePointer(n), value: UnsafePointer(v))
        }
        let buf = body.isEmpty ? nil : host.buffer(body)
        defer { if let buf { host.table.buf_release(buf) } }
        _ = host.table.http_respond(ex, status, &list, list.count, buf)
    }
}
