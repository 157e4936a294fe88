import BusMedia
import CSrt
import MRPluginKit
import PluginABI

/// What every session of a running plugin shares: the host, the poller, the admission gate, the settings
/// snapshot, the "ts" ring muxer, and the table of open sessions (read by the stats timer and by stop).
final class SrtContext: @unchecked Sendable {
    let host: PluginHost
    let poller: SrtPoller
    let admission: SrtAdmission
    /// The same TS bytes httpmux's HTTP-TS players read: whichever plugin asks first makes the ring.
    let tsMuxer: ContainerMuxerFactory<TsLiveContainer>
    private let sessions = LockedValue<[SRTSOCKET: SrtSession]>([:])
    private let nextLoop = LockedValue<Int32>(0)

    init(host: PluginHost, poller: SrtPoller, admission: SrtAdmission) {
        self.host = host
        self.poller = poller
        self.admission = admission
        tsMuxer = ContainerMuxerFactory(host: host, framing: { $0 })
    }

    var settings: SrtSettings { admission.current }

    /// Sessions are spread over the loops in turn (libsrt's threads, not the loops, do the UDP work).
    func pickLoop() -> Int32 {
        let count = Int32(max(1, host.loopCount))
        return nextLoop.withLock { n in defer { n = (n + 1) % count }; return n }
    }

    func register(_ s: SrtSession) {
        sessions.withLock { $0[s.sock] = s }
        admission.connectionOpened()
    }

    func unregister(_ s: SrtSession) {
        let removed = sessions.withLock { $0[s.sock] === s ? $0.removeValue(forKey: s.sock) : nil }
        if removed != nil { admission.connectionClosed() }
    }

    var all: [SrtSession] { sessions.withLock { Array($0.values) } }
}
