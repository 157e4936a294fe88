import MRPluginKit
import PluginABI
import WebRtcProtocol

/// PATCH on a session URL (RFC 9725 4.4): the session decides on its own loop, the answer goes back on the
/// PATCH's connection loop (they differ when the client opened a new connection).
extension WebrtcSignalling {
    /// A PATCH's answer.
    struct PatchAnswer {
        var status: Int32
        var headers: [(String, String)]
        var body: String
    }

    /// [connection loop]
    func patch(_ r: mr_http_request, _ ex: OpaquePointer, id: String, token: String) {
        guard let session = context.table.session(id: id), session.token == token else { return reply(ex, 404, "no such session") }
        guard r.body_len <= TrickleIceFragment.maxBytes else { return reply(ex, 413, "fragment too large") }
        let body = r.body.map { String(decoding: UnsafeBufferPointer(start: $0, count: r.body_len), as: UTF8.self) } ?? ""
        let contentType = Self.header(r, "Content-Type"), ifMatch = Self.header(r, "If-Match")
        let loop = r.loop
        if session.loop == loop {
            return send(session.patch(contentType: contentType, ifMatch: ifMatch, body: body), to: ex)
        }
        let watch = ExchangeWatch(ex, host)
        let queued = host.onLoop(session.loop) { [self] in
            let answer = session.patch(contentType: contentType, ifMatch: ifMatch, body: body)
            host.onLoop(loop) { [self] in
                if !watch.gone { send(answer, to: ex) }
            }
        }
        if !queued { reply(ex, 503, "server stopping") }
    }

    private func send(_ a: PatchAnswer, to ex: OpaquePointer) {
        if a.status >= 400 { return reply(ex, a.status, a.body) }
        respond(ex, a.status, headers: a.headers, body: Array(a.body.utf8))
    }
}

/// Whether an exchange ended (the client left) while its answer was being made on another loop; read and
/// written on the exchange's loop only.
final class ExchangeWatch {
    var gone = false

    init(_ ex: OpaquePointer, _ host: PluginHost) {
        host.table.http_on_close(ex, { user in
            guard let user else { return }
            Unmanaged<ExchangeWatch>.fromOpaque(user).takeRetainedValue().gone = true
        }, Unmanaged.passRetained(self).toOpaque())
    }
}
