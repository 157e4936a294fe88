import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtpFormats

/// The "rtsp" derived ring: each source frame becomes all of its RTP packets, already framed for TCP
/// interleaving (`$`, channel 2 × track, length), in one shared buffer. Muxed once per source; a TCP player
/// writes the buffer as is, a UDP player sends the packets inside it. One packet per frame keeps the
/// per-player work per frame, not per RTP packet.
final class RtspRingMuxer: RingMuxer {
    private struct Track {
        var codec: Codec
        var clock: RtpClock
        var packetizer: any RtpPacketizer
        /// Parameter sets put in front of a keyframe that lacks them (RTMP sources send them out of band).
        var parameterSets: [[UInt8]]
    }

    private let host: PluginHost
    private var tracks: [Track?] = []
    private var out: [UInt8] = []
    /// Without video every packet is a place to start (G.711 cameras, audio-only streams).
    private var hasVideo = false

    init(host: PluginHost, ring: OpaquePointer) {
        self.host = host
        out.reserveCapacity(64 * 1024)
        load(ring, keepSequences: false)
    }

    private func load(_ ring: OpaquePointer, keepSequences: Bool) {
        let old = tracks
        tracks = (0..<host.table.ring_track_count(ring)).map { i -> Track? in
            guard let info = host.trackInfo(ring: ring, i), let codec = CodecMapping.codec(info.codec) else { return nil }
            let index = Int(i)
            let rate = RtspPayloadTypes.clockRate(codec, sampleRate: Int(info.clock_rate))
            let previous = keepSequences && index < old.count ? old[index] : nil
            let ssrc = previous?.packetizer.ssrc ?? UInt32.random(in: 1...UInt32.max)
            let seq = previous?.packetizer.sequence ?? UInt16.random(in: 0...UInt16.max)
            guard let p = RtpPacketizers.make(codec: codec, payloadType: RtspPayloadTypes.payloadType(codec, track: index), ssrc: ssrc,
                                              clockRate: rate, channels: Int(max(1, info.channels)), maxPayload: 1400,
                                              firstSequence: seq), let clock = RtpClock(rate: rate) else { return nil }
            return Track(codec: codec, clock: clock, packetizer: p, parameterSets: Self.parameterSets(codec, info.extradataBytes))
        }
        hasVideo = tracks.contains { $0?.codec.isVideo == true }
    }

    static func parameterSets(_ codec: Codec, _ extradata: [UInt8]) -> [[UInt8]] {
        switch codec {
        case .h264: return AVCDecoderConfig(extradata[...]).map { $0.sps + $0.pps } ?? []
        case .h265: return HEVCDecoderConfig(extradata[...]).map { $0.vps + $0.sps + $0.pps } ?? []
        default: return []
        }
    }

    private var pendingDiscontinuity = false

    func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        var packets: [mr_frame] = []
        packets.reserveCapacity(frames.count)
        for f in frames {
            if f.flags & UInt32(MR_FRAME_DISCONTINUITY) != 0 { pendingDiscontinuity = true }
            let index = Int(f.track)
            guard index < tracks.count, var t = tracks[index], let payload = f.payload else { continue }
            let data = host.bytes(of: payload)
            let key = f.flags & UInt32(MR_FRAME_KEY) != 0 || !hasVideo
            let timestamp = t.clock.timestamp(microseconds: f.pts)
            let channel = RtspPayloadTypes.channel(track: index)
            out.removeAll(keepingCapacity: true)
            let emit: (UnsafeRawBufferPointer) -> Void = { [self] packet in
                out.append(0x24)
                out.append(channel)
                out.append(UInt8(truncatingIfNeeded: packet.count >> 8))
                out.append(UInt8(truncatingIfNeeded: packet.count))
                out.append(contentsOf: packet)
            }
            if key, !t.parameterSets.isEmpty, !Self.hasParameterSets(t.codec, data) {
                var au = NalUnits.lengthPrefixed(t.parameterSets.map { $0[...] })
                au.append(contentsOf: data)
                t.packetizer.packetize(au[...], timestamp: timestamp, emit: emit)
            } else {
                t.packetizer.packetize(Array(data)[...], timestamp: timestamp, emit: emit)
            }
            tracks[index] = t
            guard !out.isEmpty, let buf = host.buffer(out) else { continue }
            // A source's discontinuity (a VOD seek) stays visible to the ring's readers, on the next packet made
            // if its own frame gave none.
            let flags = (key ? UInt32(MR_FRAME_KEY) : 0) | (pendingDiscontinuity ? UInt32(MR_FRAME_DISCONTINUITY) : 0)
            pendingDiscontinuity = false
            packets.append(mr_frame(track: f.track, flags: flags, pts: f.pts, dts: f.dts, payload: buf))
        }
        guard !packets.isEmpty else { return }
        _ = packets.withUnsafeBufferPointer { host.table.ring_write(ring, $0.baseAddress, $0.count) }
        for p in packets { host.table.buf_release(p.payload) }
    }

    /// Whether a length-prefixed access unit carries its own SPS.
    static func hasParameterSets(_ codec: Codec, _ data: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i + 5 <= data.count {
            let len = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            let header = data[i + 4]
            if codec == .h264, header & 0x1F == 7 { return true }
            if codec == .h265, (header >> 1) & 0x3F == 33 { return true }
            i += 4 + len
        }
        return false
    }

    func tracksChanged(_ ring: OpaquePointer) { load(ring, keepSequences: true) }
}
