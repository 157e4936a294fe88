#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import PluginABI
import MRPluginKit

/// The [gb28181] table, one immutable snapshot per start or reconfigure.
struct Gb28181Settings {
    var bind = "0.0.0.0"
    var fixedPort = 10000
    var portRange: ClosedRange<Int> = 30000...35000
    var timeoutSec = 15
    /// mr_udp_options.read_interval_ms of RTP servers' UDP sockets: a camera's trickle is read every this many ms
    /// with the loop's other cameras rather than on each datagram's arrival (0 = on arrival).
    var udpReadIntervalMs = 20

    init() {}

    init(_ host: PluginHost) {
        bind = host.string("bind", default: "0.0.0.0")
        fixedPort = host.int("port", default: 10000)
        timeoutSec = max(1, host.int("timeout_sec", default: 15))
        udpReadIntervalMs = min(max(host.int("udp_read_interval_ms", default: 20), 0), 100)
        let text = host.string("port_range", default: "30000-35000")
        if let range = Self.range(text) {
            portRange = range
        } else {
            host.log(MR_LOG_WARNING, "port_range '\(text)' is not 'low-high' within 1-65535; using 30000-35000")
        }
    }

    /// "30000-35000" (ZLMediaKit's rtp_proxy.port_range form).
    static func range(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-").map { Int($0.trimmingSpaces()) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], 1 <= lo, lo <= hi, hi <= 65535 else { return nil }
        return lo...hi
    }
}
