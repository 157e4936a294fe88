import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats

/// The "webrtc.rtp" derived ring: each source frame packetized once into RTP packets of at most 1,200 bytes of
/// payload, for every WHEP player of the source. A player rewrites only what is its own (payload type, SSRC,
/// sequence number) and protects the packets with its SRTP key, so the per-player work is a copy and a cipher,
/// not a packetization.
///
/// Payload of one ring frame: `u16 dropped` (B-frames the filter took out just before this frame, so each
/// player's session counter stays true), then per RTP packet `u16 length, packet`. Packets carry
/// `placeholderPayloadType`, `placeholderSsrc` and the packetizer's own numbering, all overwritten per player.
final class WebrtcRingMuxer: RingMuxer {
    static let format = "webrtc.rtp"
    /// WebRTC's usual budget: a 1,200-byte payload plus RTP header, SRTP tag and the IPv6/UDP headers stays
    /// under a 1,280-byte path MTU with room for a TURN or VPN header.
    static let maxPayload = 1200
    static let placeholderPayloadType: UInt8 = 96
    static let placeholderSsrc: UInt32 = 0

    /// The RTP clock a track is packetized with; a player whose answer negotiated another rate cannot use the ring.
    static func clockRate(_ codec: Codec, _ info: mr_track_info) -> Int {
        if codec.isVideo { return 90_000 }
        switch codec {
        case .opus: return 48_000
        case .pcma, .pcmu: return 8_000
        default: return Int(max(1, info.clock_rate))
        }
    }

    private struct Track {
        let codec: Codec
        let clock: RtpClock
        var packetizer: any RtpPacketizer
        /// Parameter sets put in front of a keyframe that lacks them (RTMP sends them out of band).
        let parameterSets: [[UInt8]]
        /// H.264 only, when `bframe_filter` is on: what keeps pictures in presentation order.
        var reorder: H264ReorderFilter?
        var dropped = 0
    }

    private let host: PluginHost
    private let bframeFilter: Bool
    private var tracks: [Track?] = []
    /// Without video every frame is a place to start (audio-only streams).
    private var hasVideo = false
    private var pendingDiscontinuity = false
    private var out: [UInt8] = []

    init(host: PluginHost, ring: OpaquePointer, bframeFilter: Bool) {
        self.host = host
        self.bframeFilter = bframeFilter
        out.reserveCapacity(64 * 1024)
        load(ring)
    }

    private func load(_ ring: OpaquePointer) {
        tracks = (0..<host.table.ring_track_count(ring)).map { i -> Track? in
            guard let info = host.trackInfo(ring: ring, i), let codec = CodecMapping.codec(info.codec) else { return nil }
            let rate = Self.clockRate(codec, info)
            guard let clock = RtpClock(rate: rate),
                  let p = RtpPacketizers.make(codec: codec, payloadType: Self.placeholderPayloadType, ssrc: Self.placeholderSsrc, clockRate: rate,
                                              channels: Int(max(1, info.channels)), maxPayload: Self.maxPayload) else { return nil }
            let reorder = codec == .h264 && bframeFilter ? H264ReorderFilter() : nil
            var sets = WebrtcVideoCodecs.parameterSets(codec, extradata: info.extradataBytes)
            if reorder != nil {
                // The decoder is told not to wait for reordered pictures that the filter never lets through.
                sets = sets.map { NalUnits.h264Type($0[...]) == 7 ? H264SpsReorderRewrite.withoutReordering($0[...]) ?? $0 : $0 }
            }
            return Track(codec: codec, clock: clock, packetizer: p, parameterSets: sets, reorder: reorder)
        }
        hasVideo = tracks.contains { $0?.codec.isVideo == true }
    }

    func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        var packets: [mr_frame] = []
        packets.reserveCapacity(frames.count)
        var made = 0
        for f in frames {
            if f.flags & UInt32(MR_FRAME_DISCONTINUITY) != 0 { pendingDiscontinuity = true }
            let index = Int(f.track)
            guard index < tracks.count, var t = tracks[index], let payload = f.payload else { continue }
            let key = f.flags & UInt32(MR_FRAME_KEY) != 0
            if t.reorder?.admit(pts: f.pts, key: key) == false {
                t.dropped += 1
                tracks[index] = t
                host.stat("bframes_dropped", add: 1)
                continue
            }
            let data = host.bytes(of: payload)
            out.removeAll(keepingCapacity: true)
            let dropped = UInt16(clamping: t.dropped)
            out.append(UInt8(truncatingIfNeeded: dropped >> 8))
            out.append(UInt8(truncatingIfNeeded: dropped))
            t.dropped = 0
            let emit: (UnsafeRawBufferPointer) -> Void = { [self] packet in
                out.append(UInt8(truncatingIfNeeded: packet.count >> 8))
                out.append(UInt8(truncatingIfNeeded: packet.count))
                out.append(contentsOf: packet)
                made += 1
            }
            let timestamp = t.clock.timestamp(microseconds: f.pts)
            t.packetizer.packetize(accessUnit(t, data, key: key)[...], timestamp: timestamp, emit: emit)
            tracks[index] = t
            guard out.count > 2, let buf = host.buffer(out) else { continue }
            // A source's discontinuity stays visible to the ring's readers, on the next frame written.
            let flags = (key || !hasVideo ? UInt32(MR_FRAME_KEY) : 0) | (pendingDiscontinuity ? UInt32(MR_FRAME_DISCONTINUITY) : 0)
            pendingDiscontinuity = false
            packets.append(mr_frame(track: f.track, flags: flags, pts: f.pts, dts: f.dts, payload: buf))
        }
        if made > 0 { host.stat("rtp_packetized", add: Int64(made)) }
        guard !packets.isEmpty else { return }
        _ = packets.withUnsafeBufferPointer { host.table.ring_write(ring, $0.baseAddress, $0.count) }
        for p in packets { host.table.buf_release(p.payload) }
    }

    /// The access unit as sent: an H.264 or H.265 keyframe gets the parameter sets in band when it has none; with
    /// the B-frame filter an in-band SPS is rewritten as the out-of-band ones were (see load).
    private func accessUnit(_ t: Track, _ data: UnsafeRawBufferPointer, key: Bool) -> [UInt8] {
        guard t.codec == .h264 || t.codec == .h265, key else { return Array(data) }
        guard !t.parameterSets.isEmpty, !Self.hasSps(data, codec: t.codec) else {
            return t.reorder == nil ? Array(data) : H264ReorderFilter.accessUnit(Array(data)[...])
        }
        var au = NalUnits.lengthPrefixed(t.parameterSets.map { $0[...] })
        au.append(contentsOf: data)
        return au
    }

    static func hasSps(_ data: UnsafeRawBufferPointer, codec: Codec) -> Bool {
        var i = 0
        while i + 5 <= data.count {
            let len = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            if codec == .h265 ? (data[i + 4] >> 1) & 0x3F == 33 : data[i + 4] & 0x1F == 7 { return true }
            i += 4 + len
        }
        return false
    }

    func tracksChanged(_ ring: OpaquePointer) { load(ring) }

    /// The packets of one ring frame's payload, in order; stops at the first length that overruns it.
    static func forEachPacket(_ payload: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var i = 2
        while i + 2 <= payload.count {
            let len = Int(payload[i]) << 8 | Int(payload[i + 1])
            i += 2
            guard len >= RtpPacket.headerSize, i + len <= payload.count else { return }
            body(UnsafeRawBufferPointer(rebasing: payload[i..<(i + len)]))
            i += len
        }
    }

    /// B-frames dropped just before the frame with this payload.
    static func dropped(_ payload: UnsafeRawBufferPointer) -> Int {
        payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 0
    }
}
