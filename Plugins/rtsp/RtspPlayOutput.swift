import BusMedia
import MRPluginKit
import PluginABI
import RtpFormats

/// What one player receives of the shared "rtsp" ring packets: over TCP each packet is written as is (or
/// with its channel bytes rewritten when the player chose other channels); over UDP the RTP packets inside
/// are sent as slices of the shared buffer. Also the RTCP sender reports, every 5 s per track.
struct RtspPlayOutput {
    private struct TrackState {
        let index: Int
        var transport: RtspTrackTransport
        var ssrc: UInt32 = 0
        var clock: RtpClock
        var packets: UInt32 = 0
        var octets: UInt32 = 0
        var lastPts: Int64?
        var reported = false
    }

    /// By SETUP order; one or two. An array, not a dictionary: a dictionary of two keeps four buckets of the
    /// state (about 1.4 KB per player with the UDP case inline), and its reports copied it.
    private var tracks: [TrackState] = []
    private var iov = IovecBuilder()
    /// Wall clock (µs) of source time 0 for this player: the same for every track, so reports keep A/V sync.
    private var anchorUs: Int64?
    private var allDefaultChannels = true
    private var start = StaleFrameFilter()

    mutating func add(track: Int, transport: RtspTrackTransport, clockRate: Int) {
        guard let clock = RtpClock(rate: clockRate) else { return }
        let state = TrackState(index: track, transport: transport, clock: clock)
        if let at = slot(track) { tracks[at] = state } else { tracks.append(state) }
        allDefaultChannels = tracks.allSatisfy { t in
            if case .tcp(let rtp, _) = t.transport { return rtp == RtspPayloadTypes.channel(track: t.index) }
            return false
        }
    }

    private func slot(_ track: Int) -> Int? { tracks.firstIndex { $0.index == track } }

    var trackCount: Int { tracks.count }
    var usesUdp: Bool { tracks.contains { $0.transport.isUdp } }

    /// Sends ring packets; returns the bytes sent.
    mutating func send(_ host: PluginHost, conn: OpaquePointer, udp: RtspUdpPorts?, _ frames: UnsafeBufferPointer<mr_frame>) -> Int {
        var bytes = 0
        for f in frames {
            let index = Int(f.track)
            guard let payload = f.payload, let at = slot(index), start.admits(f) else { continue }
            var t = tracks[at]
            let data = host.bytes(of: payload)
            // Sender reports carry wall-clock NTP time.
            if anchorUs == nil { anchorUs = WallClock.microseconds() - f.pts }
            t.lastPts = f.pts
            var offset = 0
            // Walk the interleaved packets: counts for the reports, and the pieces to send.
            while offset + 4 <= data.count {
                let len = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                guard offset + 4 + len <= data.count, len >= RtpPacket.headerSize else { break }
                if t.ssrc == 0 {
                    t.ssrc = UInt32(data[offset + 12]) << 24 | UInt32(data[offset + 13]) << 16 | UInt32(data[offset + 14]) << 8 | UInt32(data[offset + 15])
                }
                t.packets &+= 1
                t.octets &+= UInt32(len - RtpPacket.headerSize)
                switch t.transport {
                case .tcp(let rtp, _):
                    if !allDefaultChannels {
                        // Two single-byte runs rather than an array literal: no allocation per packet.
                        iov.inline(CollectionOfOne(UInt8(0x24)))
                        iov.inline(CollectionOfOne(rtp))
                        iov.range(payload, offset + 2, len + 2)
                    }
                case .udp(let peer, _):
                    udp?.send(payload, offset: offset + 4, len: len, to: peer, rtcp: false)
                case .multicast:
                    break
                }
                offset += 4 + len
            }
            if allDefaultChannels { iov.range(payload, 0, data.count) }
            bytes += data.count
            let firstReport = !t.reported
            tracks[at] = t
            if firstReport { report(host, conn: conn, udp: udp, at: at) }
        }
        iov.send(host, conn)
        return bytes
    }

    /// Sender reports for every track that has sent something (the periodic timer).
    mutating func reportAll(_ host: PluginHost, conn: OpaquePointer, udp: RtspUdpPorts?) {
        for at in tracks.indices { report(host, conn: conn, udp: udp, at: at) }
    }

    private mutating func report(_ host: PluginHost, conn: OpaquePointer, udp: RtspUdpPorts?, at: Int) {
        guard let pts = tracks[at].lastPts, let anchor = anchorUs, tracks[at].ssrc != 0 else { return }
        tracks[at].reported = true
        let t = tracks[at]
        let sr = RtcpSenderReport(ssrc: t.ssrc, ntpTime: NtpTime(unixMicroseconds: anchor &+ pts),
                                  rtpTime: t.clock.timestamp(microseconds: pts),
                                  packetCount: t.packets, octetCount: t.octets).encode(cname: "MediaRouter")
        switch t.transport {
        case .tcp(_, let rtcp):
            iov.send(host, conn)   // keep order with RTP already gathered
            host.send(conn, [0x24, rtcp, UInt8(sr.count >> 8), UInt8(sr.count & 0xFF)] + sr)
        case .udp(_, let peer):
            udp?.send(sr, to: peer, rtcp: true)
        case .multicast:
            break
        }
    }
}
