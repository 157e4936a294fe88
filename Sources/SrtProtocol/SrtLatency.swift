/// ZLMediaKit's `srt.latencyMul` on libsrt. ZLMediaKit (its own SRT stack) times the handshake and offers
/// a caller `max(120 ms, handshake RTT × latencyMul)`, then takes the caller's requested latency if that is
/// larger. libsrt does not show a listener the handshake's timing before the connection is made, and the
/// latency cannot change after it, so the RTT comes from libsrt's measurement of the same peer address's
/// earlier or concurrent connections (`SrtPeerRtts`); a peer not seen before is offered `latency`.
public enum SrtLatency {
    /// Above this an offer is a misconfiguration or a bogus RTT, not a network.
    public static let maxMs = 60_000

    /// The latency offered to a caller: the configured floor, or the peer's RTT times `multiplier` when
    /// that is larger (`multiplier` 0 turns the estimate off).
    public static func offered(configuredMs: Int, multiplier: Int, rttMs: Double?) -> Int {
        let floor = min(max(0, configuredMs), maxMs)
        guard multiplier > 0, let rtt = rttMs, rtt.isFinite, rtt > 0 else { return floor }
        let estimate = (rtt * Double(multiplier)).rounded(.up)
        return max(floor, estimate >= Double(maxMs) ? maxMs : Int(estimate))
    }

    /// What libsrt's handshake agrees on for a direction: the larger of the receiver's latency and the
    /// sender's peer latency (ffmpeg's `latency=` sets both of its own).
    public static func agreed(offeredMs: Int, peerMs: Int) -> Int { max(offeredMs, peerMs) }
}

/// Recent round-trip times by peer address (IP, no port), bounded and aged, for `SrtLatency.offered`.
/// Several connections from one address (a NAT, a publisher and its monitor) may take different paths: a
/// larger RTT is held for `holdMs` against smaller ones, so the next caller is sized for the slowest.
public struct SrtPeerRtts: Sendable {
    private var entries: [String: (rttMs: Double, atMs: Int64)] = [:]
    public let capacity: Int
    public let maxAgeMs: Int64
    public let holdMs: Int64

    public init(capacity: Int = 4096, maxAgeMs: Int64 = 600_000, holdMs: Int64 = 10_000) {
        self.capacity = max(1, capacity)
        self.maxAgeMs = maxAgeMs
        self.holdMs = holdMs
    }

    public var count: Int { entries.count }

    /// Keeps a measurement of `ip` (a smaller one waits until the larger is `holdMs` old); when full, a new
    /// address replaces the oldest one.
    public mutating func record(_ ip: String, rttMs: Double, nowMs: Int64) {
        guard !ip.isEmpty, ip.utf8.count <= 64, rttMs.isFinite, rttMs > 0 else { return }
        if let e = entries[ip], e.rttMs > rttMs, nowMs - e.atMs < holdMs { return }
        if entries[ip] == nil, entries.count >= capacity,
           let oldest = entries.min(by: { $0.value.atMs < $1.value.atMs })?.key {
            entries.removeValue(forKey: oldest)
        }
        entries[ip] = (rttMs, nowMs)
    }

    /// The RTT measured for `ip` within `maxAgeMs`, else nil.
    public func rtt(_ ip: String, nowMs: Int64) -> Double? {
        guard let e = entries[ip], nowMs - e.atMs <= maxAgeMs else { return nil }
        return e.rttMs
    }

    /// The address part of "ip:port" or "[v6]:port".
    public static func address(_ peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":"), Int(peer[peer.index(after: colon)...]) != nil else { return peer }
        let host = peer[..<colon]
        return String(host.hasPrefix("[") && host.hasSuffix("]") ? host.dropFirst().dropLast() : host)
    }
}
