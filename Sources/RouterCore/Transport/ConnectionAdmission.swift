import NIOConcurrencyHelpers
import NIOCore

/// Caps on one plugin's accepted TCP connections, from its table's `max_connections` and
/// `max_connections_per_ip` (0: no cap). A connection over a cap is closed as it is accepted, before the plugin
/// sees it, so a flood from one address cannot take every descriptor of the process.
final class ConnectionAdmission: Sendable {
    private struct State {
        var total = 0
        var perIp: [String: Int] = [:]
        var refusedSinceLog = 0
        var lastLog: NIODeadline?
    }

    private let state = NIOLockedValueBox(State())

    /// Takes a slot for `ip`, or returns which cap is full. Every slot taken is given back by `release`.
    func admit(ip: String, maxTotal: Int, maxPerIp: Int) -> String? {
        state.withLockedValue { s in
            if maxTotal > 0, s.total >= maxTotal { s.refusedSinceLog += 1; return "max_connections \(maxTotal)" }
            let mine = s.perIp[ip, default: 0]
            if maxPerIp > 0, mine >= maxPerIp { s.refusedSinceLog += 1; return "max_connections_per_ip \(maxPerIp)" }
            s.total += 1
            s.perIp[ip] = mine + 1
            return nil
        }
    }

    func release(ip: String) {
        state.withLockedValue { s in
            s.total -= 1
            let left = s.perIp[ip, default: 1] - 1
            s.perIp[ip] = left > 0 ? left : nil
        }
    }

    /// Refusals to report now: at most one log line per 10 s under a flood, nil when none is due.
    func refusalsToLog() -> Int? {
        state.withLockedValue { s in
            let now = NIODeadline.now()
            guard s.refusedSinceLog > 0, s.lastLog.map({ now - $0 >= .seconds(10) }) ?? true else { return nil }
            defer { s.refusedSinceLog = 0; s.lastLog = now }
            return s.refusedSinceLog
        }
    }

    var admitted: Int { state.withLockedValue { $0.total } }
}
