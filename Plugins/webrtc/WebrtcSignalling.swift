import Foundation
import MRPluginKit
import PluginABI
import WebRtcProtocol

/// WHEP over httpmux routes: ZLMediaKit's `POST /index/api/whep?app=&stream=` and MediaMTX's
/// `POST /<app>/<stream>/whep` take an SDP offer and answer 201 with the SDP and a `Location` whose DELETE
/// (`/index/api/delete_webrtc?id=&token=`) ends the session.
final class WebrtcSignalling {
    let context: WebrtcContext
    var host: PluginHost { context.host }

    init(context: WebrtcContext) { self.context = context }

    /// [control] Routes live as long as the plugin; the handler holds the signalling object retained.
    func addRoutes() -> Bool {
        let routes: [(String, String)] = [("POST", "/index/api/whep"), ("POST", "/index/api/whip"), ("DELETE", "/index/api/delete_webrtc"),
                                          ("POST", "/"), ("DELETE", "/")]
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

    /// What a request asks for.
    enum Request: Equatable {
        case play(app: String, stream: String)
        case publish(app: String, stream: String)
        case delete(id: String, token: String)
    }

    static func parse(method: String, path: String, query: [String: String]) -> Request? {
        switch (method, path) {
        case ("POST", "/index/api/whep"), ("POST", "/index/api/whip"):
            let app = query["app"] ?? "", stream = query["stream"] ?? ""
            return path.hasSuffix("whep") ? .play(app: app, stream: stream) : .publish(app: app, stream: stream)
        case ("DELETE", "/index/api/delete_webrtc"):
            return .delete(id: query["id"] ?? "", token: query["token"] ?? "")
        default:
            let parts = path.split(separator: "/").map(String.init)
            guard method == "POST", parts.count >= 3, let last = parts.last, last == "whep" || last == "whip" else { return nil }
            let app = parts.dropLast(2).joined(separator: "/"), stream = parts[parts.count - 2]
            return last == "whep" ? .play(app: app, stream: stream) : .publish(app: app, stream: stream)
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
        case .delete(let id, let token):
            guard let session = context.table.session(id: id), session.token == token else {
                reply(ex, 404, "no such session")
                return Int32(MR_OK)
            }
            host.onLoop(session.loop) { session.close("deleted by the client") }
            reply(ex, 200, "")
        case .publish(let app, let stream), .play(let app, let stream):
            guard !app.isEmpty, !stream.isEmpty else {
                reply(ex, 400, "app and stream are required")
                return Int32(MR_OK)
            }
            let body = r.body.map { Array(UnsafeBufferPointer(start: $0, count: min(r.body_len, 1 << 20))) } ?? []
            guard r.body_len <= 64 * 1024 else {
                reply(ex, 413, "offer too large")
                return Int32(MR_OK)
            }
            let offer: SdpSession
            do { offer = try SdpSession(parsing: String(decoding: body, as: UTF8.self)) } catch {
                reply(ex, 400, "bad SDP offer: \(error)")
                return Int32(MR_OK)
            }
            let target = WebrtcSession.Target(vhost: query["vhost"], app: app, stream: stream, query: rawQuery, peer: peer)
            let player = WebrtcSession(context: context, signalling: self, target: target, offer: offer, loop: r.loop, exchange: ex,
                                        publishing: { if case .publish = request { true } else { false } }())
            guard context.table.add(player) else {
                reply(ex, 503, "too many WebRTC sessions")
                return Int32(MR_OK)
            }
            player.begin()
        }
        return Int32(MR_OK)
    }

    /// A plain-text answer (errors, DELETE).
    func reply(_ ex: OpaquePointer, _ status: Int32, _ text: String) {
        respond(ex, status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    func respond(_ ex: OpaquePointer, _ status: Int32, headers: [(String, String)], body: [UInt8]) {
        // httpmux adds Allow-Origin when CORS is on; a page must also read Location to DELETE later.
        let all = headers + [("Access-Control-Expose-Headers", "Location"), ("Cache-Control", "no-cache")]
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
