import MRPluginKit
import WebRtcProtocol

/// OPTIONS on the WHIP/WHEP URLs (RFC 9725 4.1, 4.6): 204 with what the endpoint takes and the configured
/// STUN/TURN servers; httpmux adds the CORS preflight headers this leaves out.
extension WebrtcSignalling {
    func preflight(_ ex: OpaquePointer, offers: Bool) {
        let headers: [(String, String)] = offers
            ? [("Accept-Post", "application/sdp"), ("Access-Control-Allow-Methods", "POST, OPTIONS")]
            : [("Accept-Patch", WhipPatchRequest.mediaType), ("Access-Control-Allow-Methods", "PATCH, DELETE, OPTIONS")]
        respond(ex, 204, headers: headers + iceServerLinks, body: [])
    }

    /// One `Link: <uri>; rel="ice-server"` header per configured server.
    var iceServerLinks: [(String, String)] { context.settings.iceServers.map { ("Link", $0.linkValue) } }
}
