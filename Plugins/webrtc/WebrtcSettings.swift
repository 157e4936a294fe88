#if canImport(Glibc)
import Glibc
#endif
import MRPluginKit
import PluginABI
import WebRtcProtocol

/// The plugin's table read once at start.
struct WebrtcSettings: Sendable {
    var bind = "0.0.0.0"
    var port = 8000
    /// Host candidates put in every answer, most preferred first.
    var candidates: [IpAddress] = []
    /// Generic NACK both ways: answering players' NACKs from the send history and asking publishers for
    /// what they lost. Off only to measure what it saves (the loss tests do).
    var nack = true
    /// RTX (RFC 4588) both ways when the peer offers it (publishers' retransmissions taken on their RTX stream,
    /// players' NACKs answered on ours); off, or with NACK off, retransmissions go on the media SSRC.
    var rtx = true
    /// STUN/TURN servers announced to WHIP/WHEP clients in `Link: rel="ice-server"` headers.
    var iceServers: [IceServer] = []
    /// H.264 with B-frames made playable by WebRTC receivers (H264ReorderFilter).
    var bframeFilter = true
    /// A publisher that sends no SRTP for this long has gone (a crash or a network change sends no DELETE):
    /// it ends then, and its stream waits out the reconnect window instead of ICE consent's 30 s.
    var publisherTimeoutMs = 15_000

    static let configKeys: [(String, mr_config_type, String)] = [
        ("bind", MR_CONFIG_STRING, "listen address of the shared UDP port (default 0.0.0.0)"),
        ("candidates", MR_CONFIG_LIST, "addresses put in answers as host candidates (a server behind NAT lists its public address, "
            + "as ZLMediaKit's rtc.externIP); default: the bound address, or every local IPv4 address when bound to 0.0.0.0"),
        ("extern_ip", MR_CONFIG_LIST, "alias of candidates"),
        ("nack", MR_CONFIG_BOOL, "NACK both ways: retransmit to players what they lost, ask publishers for what we lost (default true)"),
        ("rtx", MR_CONFIG_BOOL, "RTX (RFC 4588) when the peer offers it: publishers retransmit on an RTX stream, players' NACKs are "
            + "answered on one; off, retransmissions are plain (default true)"),
        ("ice_servers", MR_CONFIG_LIST, "STUN/TURN servers for clients, sent as Link: rel=\"ice-server\" headers on WHIP/WHEP answers and "
            + "preflights (RFC 9725 4.6): \"stun:host:3478\", \"turn:user:credential@host:3478?transport=udp\""),
        ("bframe_filter", MR_CONFIG_BOOL, "drop the H.264 pictures a player would show out of decode order (B-frames) and tell "
            + "its decoder not to reorder, so a B-frame source plays in Chromium at its P-frame rate instead of stalling "
            + "(as ZLMediaKit's rtc.bfilter); default true, a source without B-frames is unchanged"),
        ("publisher_timeout_ms", MR_CONFIG_INT, "a WHIP publisher that sends no media for this long ends, and its stream waits "
            + "[server] reconnect_window_ms for it to come back (ZLMediaKit's rtc.timeoutSec; default 15000, 1000 to 600000)"),
    ]

    static func read(_ host: PluginHost) -> (WebrtcSettings, [String]) {
        var s = WebrtcSettings()
        var problems: [String] = []
        s.bind = host.string("bind", default: "0.0.0.0")
        s.port = min(max(1, host.int("port", default: 8000)), 65_535)
        s.nack = host.bool("nack", default: true)
        s.rtx = host.bool("rtx", default: true)
        s.bframeFilter = host.bool("bframe_filter", default: true)
        s.publisherTimeoutMs = min(max(1000, host.int("publisher_timeout_ms", default: 15_000)), 600_000)
        for text in host.list("candidates") + host.list("extern_ip") {
            if let ip = IpAddress(String(text.filter { !$0.isWhitespace })) { s.candidates.append(ip) } else { problems.append("candidate '\(text)' is not an IP address") }
        }
        for (i, text) in host.list("ice_servers").enumerated() {
            switch IceServer.parse(text) {
            case .success(let server): s.iceServers.append(server)
            // Not the text: it may hold a TURN credential.
            case .failure(let why): problems.append("ice_servers entry \(i + 1) ignored: \(why)")
            }
        }
        if s.candidates.isEmpty {
            // Never advertise an address the socket does not listen on: a specific bind is the only candidate.
            if s.bind != "0.0.0.0", s.bind != "::", let ip = IpAddress(s.bind) {
                s.candidates = [ip]
            } else {
                s.candidates = localIPv4Addresses()
            }
        }
        return (s, problems)
    }

    /// Up interfaces' IPv4 addresses, loopback last (a client on another machine cannot use it).
    static func localIPv4Addresses() -> [IpAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [IpAddress(v4: 127, 0, 0, 1)] }
        defer { freeifaddrs(list) }
        var out: [IpAddress] = [], loopback: [IpAddress] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let addr = entry.pointee.ifa_addr, Int32(addr.pointee.sa_family) == AF_INET,
                  entry.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let ip = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> IpAddress in
                let a = UInt32(bigEndian: sin.pointee.sin_addr.s_addr)
                return IpAddress(v4: UInt8(a >> 24), UInt8((a >> 16) & 0xFF), UInt8((a >> 8) & 0xFF), UInt8(a & 0xFF))
            }
            if entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) != 0 { loopback.append(ip) } else { out.append(ip) }
        }
        let all = out + loopback
        return all.isEmpty ? [IpAddress(v4: 127, 0, 0, 1)] : all
    }
}
