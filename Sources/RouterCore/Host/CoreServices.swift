import Logging
import NIOCore
import NIOPosix

/// What the host table reaches in the core. One per server.
public final class CoreServices: @unchecked Sendable {
    public let pollers: Pollers
    public let bus: StreamBus
    public let logger: Logger
    let router: HttpRouter
    let auth: AuthBroker
    let commands: CommandBroker
    let workers: NIOThreadPool
    let ids = ManagedAtomicCounter()
    /// Set by the server: describes plugins for `describe_plugins`, and queues a reload.
    var describePlugins: @Sendable () -> [[String: Any]] = { [] }
    var requestReload: @Sendable () -> Void = {}

    public init(pollers: Pollers, settings: ServerSettings, logger: Logger) {
        self.pollers = pollers
        self.logger = logger
        self.bus = StreamBus(pollers: pollers, settings: settings.bus, logger: logger)
        self.router = HttpRouter()
        self.auth = AuthBroker(pollers: pollers, timeoutMs: settings.authTimeoutMs, defaultAllow: settings.authDefaultAllow,
                               logger: logger)
        self.commands = CommandBroker(timeoutMs: settings.commandTimeoutMs, logger: logger)
        self.workers = NIOThreadPool(numberOfThreads: 2)
        workers.start()
    }

    func apply(_ settings: ServerSettings) {
        bus.settings = settings.bus
        auth.configure(timeoutMs: settings.authTimeoutMs, defaultAllow: settings.authDefaultAllow)
        commands.configure(timeoutMs: settings.commandTimeoutMs)
    }

    /// Commands plugins offer now, with the plugin offering each.
    public func commandList() -> [(name: String, plugin: String)] { commands.list() }

    public func shutdown() { try? workers.syncShutdownGracefully() }
}
