import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import RouterCore

/// SIGHUP reloads; SIGTERM and SIGINT stop gracefully and exit 0; SIGXFSZ is ignored. `beforeStop` runs while the core's loops
/// still turn (the management side closes its HTTP client on them). Installed before anything starts, so a
/// signal during start-up is handled rather than fatal; keep the sources alive.
enum SignalWaiter {
    static func install(server: MediaRouterServer, beforeStop: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        let queue = DispatchQueue(label: "mediarouter.signals")
        for sig in [SIGHUP, SIGTERM, SIGINT] { signal(sig, SIG_IGN) }
        // A file size limit (ulimit -f) must fail the one write (EFBIG, a recording stops with its event),
        // not kill the server and every stream with it.
        signal(SIGXFSZ, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { server.reload(reason: "SIGHUP") }
        hup.resume()
        let stopSources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                beforeStop()
                server.stop()
                exit(0)
            }
            source.resume()
            return source
        }
        return [hup] + stopSources
    }
}
