import MRPluginKit
import PluginABI
import WebRtcProtocol

/// Trickle ICE and ICE restart through PATCH (RFC 9725 4.4). An ICE-lite server learns the peer's addresses
/// from its checks, so trickled candidates are counted and dropped; a restart gives the session new
/// credentials (the table finds it by the new ufrag, the ETag changes) while DTLS and SRTP go on: media
/// resumes on whichever pair the peer's new checks select.
extension WebrtcSession {
    /// [loop]
    func patch(contentType: String?, ifMatch: String?, body: String) -> WebrtcSignalling.PatchAnswer {
        guard state == .connecting || state == .playing else { return .init(status: 404, headers: [], body: "the session has ended") }
        let etag = WhipPatchRequest.etag(localUfrag: ufrag)
        switch WhipPatchRequest.decide(contentType: contentType, ifMatch: ifMatch, body: body, etag: etag, remoteUfrag: remoteUfrag) {
        case .refused(let status, let reason):
            return .init(status: Int32(status), headers: [], body: reason)
        case .trickle(let fragment):
            host.stat("trickled_candidates", add: Int64(fragment.candidates.count))
            return .init(status: 204, headers: [("ETag", etag)], body: "")
        case .restart(let remote):
            var rng = SystemRandomNumberGenerator()
            let fresh = IceCredentials.random(using: &rng)
            guard context.table.rekey(self, from: ufrag, to: fresh.ufrag) else {
                return .init(status: 503, headers: [], body: "cannot restart ICE now, try again")
            }
            ice.removeSession(ufrag: ufrag)
            ice.addSession(local: fresh, remoteUfrag: remote.ufrag, nowMs: nowMs)
            ufrag = fresh.ufrag
            password = fresh.password
            remoteUfrag = remote.ufrag
            host.stat("ice_restarts", add: 1)
            host.log(MR_LOG_INFO, "\(label): ICE restart, DTLS and SRTP kept")
            return .init(status: 200, headers: [("Content-Type", WhipPatchRequest.mediaType), ("ETag", WhipPatchRequest.etag(localUfrag: fresh.ufrag))],
                         body: TrickleIceFragment.restartAnswer(fresh))
        }
    }
}
