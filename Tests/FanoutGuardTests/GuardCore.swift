import Logging
import RouterCore

/// The core the guard measures: two loops (a reader's loop is not the publisher's for half the readers) and
/// a plugin context on the real host table.
final class GuardCore {
    let pollers: Pollers
    let core: CoreServices
    let embedded: EmbeddedHost

    init() {
        var logger = Logger(label: "guard")
        logger.logLevel = .error
        var settings = ServerSettings()
        settings.threads = 2
        pollers = Pollers(threads: 2)
        core = CoreServices(pollers: pollers, settings: settings, logger: logger)
        embedded = EmbeddedHost(core: core, name: "guard")
    }

    func shutdown() {
        embedded.close()
        core.shutdown()
        pollers.shutdown()
    }
}
