import Dispatch
import Foundation
import RouterCore

/// SIGHUP reloads; SIGTERM and SIGINT stop gracefully and exit 0.
enum SignalWaiter {
    static func run(server: MediaRouterServer) -> Never {
        let queue = DispatchQueue(label: "mediarouter.signals")
        for sig in [SIGHUP, SIGTERM, SIGINT] { signal(sig, SIG_IGN) }
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { server.reload(reason: "SIGHUP") }
        hup.resume()
        let stopSources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                server.stop()
                exit(0)
            }
            source.resume()
            return source
        }
        withExtendedLifetime((hup, stopSources)) { dispatchMain() }
    }
}
