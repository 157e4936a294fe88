import MRPluginKit
import PluginABI
import WebRtcProtocol

/// Keyframe requests (ABI 1.4) both ways. A player whose client lost a picture (PLI/FIR), that joined where
/// the GOP cache had no keyframe, or that skipped, asks the source's publisher through the core; a WHIP
/// publisher answers the core's requests with an RTCP PLI to its client. The core limits requests to one per
/// source per 500 ms; the PLIs this session sends are limited the same way on their own.
extension WebrtcSession {
    /// RFC 4585 6.3.1 leaves the pace to the receiver; half a second lets an encoder finish the keyframe.
    static let keyframeAskIntervalUs: Int64 = 500_000

    // MARK: player side

    /// [loop] The player's client sent PLI or FIR.
    func playerLostPicture() {
        host.stat("pli_received", add: 1)
        counters.pliIn += 1
        askForKeyframe(nowUs: WallClock.microseconds())
    }

    /// [loop] A video keyframe is on its way to the player: nothing to ask for.
    func keyframeDelivered() { needKeyframe = false }

    private var playsVideo: Bool { tracks.values.contains { $0.codec.isVideo } }

    private func askForKeyframe(nowUs: Int64, forClient: Bool = true) {
        guard let reader, playsVideo else { return }
        lastKeyframeAskUs = nowUs
        switch host.requestKeyframe(reader: reader) {
        case Int32(MR_OK): host.stat("keyframe_requested", add: 1)
        case Int32(MR_ERR_BUSY): host.stat("keyframe_request_limited", add: 1)
        case Int32(MR_ERR_UNSUPPORTED):
            // The publisher cannot be asked (RTMP, SRT, a 1.3 plugin): the next keyframe comes with its GOP.
            needKeyframe = false
            if forClient { host.stat("pli_ignored", add: 1) }
        default:
            if forClient { host.stat("pli_ignored", add: 1) }
        }
    }

    // MARK: publisher side

    /// [loop] Readers' requests for this WHIP publisher's source reach `publisherWantsKeyframe` on this loop.
    func takeKeyframeRequests(_ source: OpaquePointer) {
        keyframeHandler = host.onKeyframeRequest(source: source) { [weak self] in self?.publisherWantsKeyframe() }
    }

    /// [loop] After source_close on this loop: the core calls the handler no more.
    func releaseKeyframeRequests() {
        keyframeHandler?.release()
        keyframeHandler = nil
    }

    private func publisherWantsKeyframe() {
        host.stat("keyframe_requests_in", add: 1)
        pliWanted = true
        if sendPli(nowUs: WallClock.microseconds()) { pliWanted = false }
    }

    /// [loop] SRTP-protected PLI to the publisher's video SSRC, at most one per interval; false when it could
    /// not go now (not connected yet, no video SSRC seen, or inside the interval).
    private func sendPli(nowUs: Int64) -> Bool {
        guard state == .playing, let ingest, ingest.hasVideo, nowUs - lastPliUs >= Self.keyframeAskIntervalUs,
              let ssrc = publisherVideo?.ssrc, let outbound, let p = peer else { return false }
        lastPliUs = nowUs
        var pli = rtcpPictureLossIndication(senderSsrc: 1, mediaSsrc: ssrc)
        guard (try? outbound.protectRtcp(&pli)) != nil else { return false }
        send([pli], to: p)
        host.stat("pli_sent", add: 1)
        counters.pliOut += 1
        return true
    }

    /// [loop] Every tick: a publisher is asked until its first keyframe (players wait on it) and for a
    /// request that came inside the interval; a player still without a keyframe asks again each interval.
    func keyframeTick(nowUs: Int64) {
        if let ingest, ingest.hasVideo, !ingest.hasKeyframe || pliWanted, sendPli(nowUs: nowUs) {
            pliWanted = false
        }
        if needKeyframe, nowUs - lastKeyframeAskUs >= Self.keyframeAskIntervalUs {
            askForKeyframe(nowUs: nowUs, forClient: false)
        }
    }
}
