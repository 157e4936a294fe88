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
                sendFrame(track: index, key: key, pts: f.pts, data: data, nowUs: nowUs)
                continue
            }
            if key, tracks[index]?.codec.isVideo == true {
                pending.removeAll()
                pendingBytes = 0
            }
            guard pendingBytes + data.count <= Self.pendingLimit else { continue }
            pending.append((index, key, f.pts, Array(data)))
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
            f.data.withUnsafeBytes { sendFrame(track: f.track, key: f.key, pts: f.pts, data: $0, nowUs: nowUs) }
        }
        flushBatch()
    }

    /// Packetizes one frame, keeps each packet for retransmission, encrypts and queues it in the batch.
    private func sendFrame(track index: Int, key: Bool, pts: Int64, data: UnsafeRawBufferPointer, nowUs: Int64) {
        guard var t = tracks[index], let outbound, let peer else { return }
        if t.reorder?.admit(pts: pts, key: key) == false {
            tracks[index] = t
            host.stat("bframes_dropped", add: 1)
            counters.bframesDropped += 1
            return
        }
        let timestamp = t.clock.timestamp(microseconds: pts)
        let au = t.accessUnit(data, key: key)
        var packets: [[UInt8]] = []
        t.packetizer.packetize(au[...], timestamp: timestamp) { packets.append(Array($0)) }
        for var p in packets {
            let sequence = UInt16(p[2]) << 8 | UInt16(p[3])
            t.history.record(sequence: sequence, packet: p)
            t.packets &+= 1
            t.octets &+= UInt32(truncatingIfNeeded: p.count - RtpPacket.headerSize)
            do { try outbound.protectRtp(&p) } catch { continue }
            queue(p, to: peer)
        }
        t.lastTimestamp = timestamp
        t.lastSentUs = nowUs
        tracks[index] = t
        host.stat("rtp_packets_out", add: Int64(packets.count))
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
