import MediaFormats
import MpegPS
import MpegTS
import RtpFormats

/// Bus frames into the RTP packets startSendRtp sends, in ZLMediaKit's `type`: 1 PS (one PS packet per frame,
/// split over payloads of at most 1,400 bytes, marker on the last), 2 TS (whole 188-byte packets, seven per
/// RTP packet at most), 0 ES (the first video track, else the first audio track, by its RFC payload format).
/// Every packet of a frame carries the frame's DTS in 90 kHz.
struct RtpSendPayload {
    enum Kind: Int { case es = 0, ps = 1, ts = 2 }

    private enum Muxer {
        case ps(PsMuxer, RtpChunkPacketizer)
        case ts(TsMuxer, RtpChunkPacketizer)
        case es(track: Int, any RtpPacketizer, parameterSets: [[UInt8]], clockRate: Int64)
    }

    private var muxer: Muxer?
    /// Whether a video track is sent (then the first frame sent is a video keyframe).
    let hasVideo: Bool
    private(set) var packets = 0

    /// nil tracks are not sent (only_audio passes its video tracks as nil).
    init(kind: Kind, tracks: [MediaTrack?], payloadType: UInt8, ssrc: UInt32, firstSequence: UInt16) {
        switch kind {
        case .ps:
            let m = PsMuxer(tracks: tracks)
            muxer = m.isEmpty ? nil : .ps(m, RtpChunkPacketizer(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence))
            hasVideo = tracks.indices.contains { m.carries(track: $0) && tracks[$0]?.codec.isVideo == true }
        case .ts:
            let m = TsMuxer(tracks: tracks)
            muxer = m.isEmpty ? nil : .ts(m, RtpChunkPacketizer(payloadType: payloadType, ssrc: ssrc, maxPayload: 7 * 188, firstSequence: firstSequence))
            hasVideo = tracks.contains { $0?.codec.isVideo == true }
        case .es:
            let index = tracks.firstIndex { $0?.codec.isVideo == true } ?? tracks.firstIndex { $0 != nil }
            guard let index, let t = tracks[index] else { muxer = nil; hasVideo = false; return }
            let rate = t.codec.isVideo ? 90000 : max(8000, t.sampleRate)
            let p = RtpPacketizers.make(codec: t.codec, payloadType: payloadType, ssrc: ssrc, clockRate: rate, channels: max(1, t.channels),
                                            firstSequence: firstSequence)
            var sets: [[UInt8]] = []
            if t.codec == .h264, let c = AVCDecoderConfig(t.config[...]) { sets = c.sps + c.pps }
            if t.codec == .h265, let c = HEVCDecoderConfig(t.config[...]) { sets = c.vps + c.sps + c.pps }
            muxer = p.map { .es(track: index, $0, parameterSets: sets, clockRate: Int64(rate)) }
            hasVideo = t.codec.isVideo
        }
    }

    var isEmpty: Bool { muxer == nil }

    /// The RTP clock of the packets: 90 kHz for PS and TS, the track's own for ES.
    var clock: RtpClock? {
        switch muxer {
        case .ps, .ts: return RtpClock(rate: 90000)
        case .es(_, _, _, let rate): return RtpClock(rate: Int(rate))
        case nil: return nil
        }
    }

    /// The sequence number of the next packet, so a muxer rebuilt for new tracks continues the numbering.
    var nextSequence: UInt16? {
        switch muxer {
        case .ps(_, let r), .ts(_, let r): return r.sequence
        case .es(_, let p, _, _): return p.sequence
        case nil: return nil
        }
    }

    /// The RTP packets of one bus frame (none when its track is not sent).
    mutating func packets(track: Int, pts: Int64, dts: Int64, key: Bool, data: ArraySlice<UInt8>) -> [[UInt8]] {
        guard let m = muxer else { return [] }
        muxer = nil   // one owner while muxing
        var out: [[UInt8]] = []
        switch m {
        case .ps(var ps, var rtp):
            if let packet = ps.mux(track: track, pts: pts, dts: dts, key: key, data: data) {
                out = rtp.packetize(packet[...], timestamp: Self.ticks90(dts))
            }
            muxer = .ps(ps, rtp)
        case .ts(var ts, var rtp):
            var bytes: [UInt8] = []
            if ts.mux(track: track, pts: pts, dts: dts, key: key, data: data, into: &bytes) {
                out = rtp.packetize(bytes[...], timestamp: Self.ticks90(dts))
            }
            muxer = .ts(ts, rtp)
        case .es(let index, var p, let sets, let rate):
            if track == index {
                // A receiver of bare ES needs the parameter sets in-band before each keyframe.
                let frame = key && !sets.isEmpty ? sets.flatMap { Self.lengthPrefix($0) } + data : Array(data)
                let ts = UInt32(truncatingIfNeeded: dts &* rate / 1_000_000)
                p.packetize(frame[...], timestamp: ts) { out.append(Array($0)) }
            }
            muxer = .es(track: index, p, parameterSets: sets, clockRate: rate)
        }
        packets += out.count
        return out
    }

    static func ticks90(_ micros: Int64) -> UInt32 { UInt32(truncatingIfNeeded: micros &* 9 / 100) }

    static func lengthPrefix(_ nal: [UInt8]) -> [UInt8] {
        let n = UInt32(nal.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + nal
    }
}
