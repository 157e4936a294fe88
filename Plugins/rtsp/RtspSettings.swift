import MRPluginKit
import PluginABI

/// The plugin's settings that sessions read (reloadable without a restart, except the transports).
struct RtspSettings {
    enum Transport: String, CaseIterable { case tcp, udp, multicast }
    enum AuthMode: String { case none, basic, digest }

    var transports: Set<Transport> = Set(Transport.allCases)
    var udpPortRange: ClosedRange<Int> = 30000...30999
    var authMode = AuthMode.none
    var realm = "MediaRouter"
    var users: [String: String] = [:]
    var authPublish = true
    var authPlay = true
    var takeover = false
    var pullTransport = Transport.tcp
    var sessionTimeoutMs = 60_000
    var headerTimeoutMs = 10_000
    var stallTimeoutMs = 10_000
    var multicastFirst: UInt32 = 0xEFFF_0001     // 239.255.0.1
    var multicastLast: UInt32 = 0xEFFF_FFFE
    var multicastPort = 40000
    var multicastTTL = 16

    init() {}

    /// Nil (with a log line) when a value cannot be used.
    init?(_ host: PluginHost) {
        let transport = host.string("transport", default: "any").lowercased()
        if transport != "any" {
            guard let t = Transport(rawValue: transport) else {
                host.log(MR_LOG_ERROR, "transport = \"\(transport)\" is not one of any, tcp, udp, multicast")
                return nil
            }
            transports = [t]
        }
        let range = host.string("udp_port_range", default: "30000-30999")
        guard let r = Self.portRange(range) else {
            host.log(MR_LOG_ERROR, "udp_port_range = \"\(range)\" is not \"first-last\" with 1024 <= first < last <= 65535")
            return nil
        }
        udpPortRange = r
        let auth = host.string("auth", default: "none").lowercased()
        guard let mode = AuthMode(rawValue: auth) else {
            host.log(MR_LOG_ERROR, "auth = \"\(auth)\" is not one of none, basic, digest")
            return nil
        }
        authMode = mode
        realm = host.string("realm", default: "MediaRouter")
        for entry in host.list("users") {
            guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                host.log(MR_LOG_WARNING, "users entry '\(entry)' is not \"user:password\"; skipped")
                continue
            }
            users[String(entry[..<colon])] = String(entry[entry.index(after: colon)...])
        }
        if authMode != .none && users.isEmpty {
            host.log(MR_LOG_WARNING, "auth = \"\(auth)\" without users: every authenticated request is refused")
        }
        authPublish = host.bool("auth_publish", default: true)
        authPlay = host.bool("auth_play", default: true)
        takeover = host.bool("takeover", default: false)
        let pull = host.string("pull_transport", default: "tcp").lowercased()
        guard pull == "tcp" || pull == "udp", let pt = Transport(rawValue: pull) else {
            host.log(MR_LOG_ERROR, "pull_transport = \"\(pull)\" is not tcp or udp")
            return nil
        }
        pullTransport = pt
        sessionTimeoutMs = max(5000, min(86_400_000, host.int("session_timeout_ms", default: 60_000)))
        headerTimeoutMs = max(1000, min(600_000, host.int("header_timeout_ms", default: 10_000)))
        stallTimeoutMs = max(1000, min(3_600_000, host.int("stall_timeout_ms", default: 10_000)))
        let mrange = host.string("multicast_range", default: "239.255.0.1-239.255.255.254")
        let parts = mrange.split(separator: "-").map { Self.ipv4(String($0)) }
        guard parts.count == 2, let first = parts[0], let last = parts[1], first <= last, first >> 28 == 0xE, last >> 28 == 0xE else {
            host.log(MR_LOG_ERROR, "multicast_range = \"\(mrange)\" is not \"first-last\" of IPv4 multicast addresses")
            return nil
        }
        multicastFirst = first
        multicastLast = last
        multicastPort = host.int("multicast_port", default: 40000)
        multicastTTL = max(1, min(255, host.int("multicast_ttl", default: 16)))
        guard (1024...49000).contains(multicastPort) else {
            host.log(MR_LOG_ERROR, "multicast_port = \(multicastPort) is out of 1024...49000")
            return nil
        }
    }

    func requiresAuth(publish: Bool) -> Bool { authMode != .none && (publish ? authPublish : authPlay) }

    static func portRange(_ s: String) -> ClosedRange<Int>? {
        let parts = s.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: " ")) }
        guard parts.count == 2, parts[0] >= 1024, parts[1] <= 65535, parts[0] < parts[1] else { return nil }
        return parts[0]...parts[1]
    }

    static func ipv4(_ s: String) -> UInt32? {
        let parts = s.trimmingCharacters(in: " ").split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> Substring { self[...].trimmingCharacters(in: set) }
}
