import MRPluginKit
/// Where one track's RTP and RTCP go for one session, as agreed in SETUP.
enum RtspTrackTransport {
    /// Interleaved on the RTSP connection.
    case tcp(rtp: UInt8, rtcp: UInt8)
    /// Unicast UDP to the client's ports, from the loop's server pair. Boxed: two socket addresses are 300
    /// bytes, which every interleaved player's track state would otherwise carry too.
    indirect case udp(rtp: UdpPeer, rtcp: UdpPeer)
    /// Sent once per stream to a group (players only).
    case multicast(group: String, port: Int)

    var isUdp: Bool { if case .udp = self { return true } else { return false } }
    var isTcp: Bool { if case .tcp = self { return true } else { return false } }
}
