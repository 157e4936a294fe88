import MRPluginKit
import PluginABI
import RtpFormats
import WebRtcProtocol

/// The media side of a player: source frames to SRTP packets, NACK answers, sender reports.
extension WebrtcSession {
    /// Frames held while the handshake runs: a GOP of a few Mbit/s fits; more (a long GOP) drops the oldest
    /// GOP's start, and the player waits for the next keyframe.
    static let pendingLimit = 8 << 20

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard state == .connecting || state == .playing else { return }
        let nowUs = WallClock.microseconds()
        for f in frames {
            let index = Int(f.track)
            guard tracks[index] != nil, let payload = f.payload else { continue }
            let key = f.flags & UInt32(MR_FRAME_KEY) != 0
            if key, tracks[index]?.codec.isVideo == true { keyframeDelivered() }
            let data = host.bytes(of: payload)
            if state == .playing {
                sendFrame(track: index, packets: data, nowUs: nowUs)
                continue
            }
            if key, tracks[index]?.codec.isVideo == true {
                pending.removeAll()
                pendingBytes = 0
            }
            guard pendingBytes + data.count <= Self.pendingLimit else { continue }
            pending.append((index, Array(data)))
            pendingBytes += data.count
        }
        flushBatch()
    }

    func flushPending() {
        let held = pending
        pending.removeAll()
        pendingBytes = 0
        let nowUs = WallClock.microseconds()
        for f in held {
            f.packets.withUnsafeBytes { sendFrame(track: f.track, packets: $0, nowUs: nowUs) }
        }
        flushBatch()
    }

    /// Sends one frame of the shared ring (WebrtcRingMuxer): each packet made this player's, kept for
    /// retransmission, encrypted and queued in the batch.
    private func sendFrame(track index: Int, packets payload: UnsafeRawBufferPointer, nowUs: Int64) {
        // Taken out of the dictionary while it is changed: a copy left in it would share the history's buffers,
        // and the first write would copy all of them (measured: half the server's CPU at 200 players).
        guard let outbound, let peer, var t = tracks.removeValue(forKey: index) else { return }
        defer { tracks[index] = t }
        counters.bframesDropped += WebrtcRingMuxer.dropped(payload)
        var sent = 0
        WebrtcRingMuxer.forEachPacket(payload) { packet in
            t.rewrite(packet, into: &scratch)
            do { try outbound.protectRtp(&scratch) } catch { return }
            queue(scratch, to: peer)
            sent += 1
        }
        t.lastSentUs = nowUs
        host.stat("rtp_packets_out", add: Int64(sent))
    }

    private func queue(_ datagram: [UInt8], to address: WebrtcPeerAddress) {
        address.withSockaddr { sa in
            batch.begin(to: sa, length: address.length)
            batch.inline(datagram)
        }
        counters.sent(datagram.count)
        // Bounded: a long burst (the GOP at start) goes out in chunks.
        if batch.count >= 256 { flushBatch() }
    }

    func flushBatch() {
        guard batch.count > 0, Int(loop) < context.sockets.count else { return }
        batch.send(host, context.sockets[Int(loop)])
    }

    /// RFC 4585 6.2.1: resend what the history still has, on the RTX stream when the player negotiated one
    /// (RFC 4588: its own SSRC and numbering, so the player's statistics of the media stream stay true),
    /// else as it was.
    func retransmit(_ nack: RtcpNack) {
        guard let outbound, let peer, let hit = tracks.first(where: { $0.value.ssrc == nack.mediaSsrc }) else { return }
        var t = hit.value
        var resent = 0
        for sequence in nack.lost.prefix(256) {
            guard let original = t.history.packet(sequence: sequence) else { continue }
            var p = original
            if t.rtx != nil {
                guard let r = t.rtx?.repair(original[...]) else { continue }
                p = r
            }
            do { try outbound.protectRtp(&p) } catch { continue }
            queue(p, to: peer)
            resent += 1
        }
        tracks[hit.key] = t
        flushBatch()
        host.stat("nack_requested", add: Int64(nack.lost.count))
        host.stat("retransmitted", add: Int64(resent))
        if t.rtx != nil, resent > 0 { host.stat("rtx_sent", add: Int64(resent)) }
        counters.nackAnswered(asked: nack.lost.count, resent: resent)
    }

    func sendReports(nowUs: Int64) {
        guard let outbound, let peer else { return }
        for t in tracks.values where t.packets > 0 {
            var report = t.senderReport(nowUs: nowUs, cname: "mediarouter")
            do { try outbound.protectRtcp(&report) } catch { continue }
            queue(report, to: peer)
        }
        flushBatch()
    }
}
